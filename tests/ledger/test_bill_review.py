"""The quarterly bill review: it walks every active recurring item, writes keep / cancel /
price changed through the ledger's services, records the baseline after the decisions and
closes the creep alerts, all or nothing; the reviews page lists them, newest first."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.ledger import creep
from apps.ledger.models import Category, CostItem, CreepAlert, Kind, Period, Price, Review, ReviewItem
from tests.conftest import signed_in
from tests.ledger.reports_setup import cost, review

pytestmark = pytest.mark.django_db
URL = "/ledger/reviews/new/"


@pytest.fixture
def bills(db) -> dict[str, CostItem]:
    return {
        "netflix": cost("Netflix", "15.49"),
        "spotify": cost("Spotify", "10.99"),
        "b2": cost("Backblaze B2", "18", period=Period.QUARTERLY),  # 6 a month
        "studio": cost("Mac Studio", "2400", kind=Kind.ONE_OFF, category=Category.HARDWARE, life_months=60),
        "gone": cost("Old VPS", "5", end=date(2025, 6, 30)),
        "power": cost("NAS electricity", "0", category=Category.ELECTRICITY, watts=Decimal("38")),
    }


def keep_all(bills: dict[str, CostItem], **overrides: str) -> dict[str, str]:
    data = {f"item-{bills[key].pk}-decision": "keep" for key in ("netflix", "spotify", "b2")}
    data.update(overrides)
    return data


def test_the_form_walks_every_active_recurring_item(client, alice, bills):
    html = signed_in(client, alice).get(URL).content.decode()
    for name in ("Netflix", "Spotify", "Backblaze B2"):
        assert f"<strong>{name}</strong>" in html
    assert "Mac Studio" not in html and "Old VPS" not in html and "NAS electricity" not in html
    assert "18.00 USD every quarter (6.00 a month)" in html
    assert html.count('type="radio"') == 9 and "csrfmiddlewaretoken" in html
    assert f'name="item-{bills["netflix"].pk}-end" value="{timezone.localdate():%Y-%m-%d}"' in html


def test_saving_writes_the_decisions_the_baseline_and_closes_the_alerts(client, alice, bills):
    first = review("32.48")
    cost("Tailscale", "6")
    assert creep.check()  # the new item
    tailscale = CostItem.objects.get(name="Tailscale")
    today = timezone.localdate()
    ends = today + timedelta(days=3)
    data = keep_all(bills) | {
        f"item-{bills['spotify'].pk}-decision": "cancel",
        f"item-{bills['spotify'].pk}-end": f"{ends:%Y-%m-%d}",
        f"item-{bills['spotify'].pk}-note": "We use the family's Apple Music.",
        f"item-{bills['netflix'].pk}-decision": "price_changed",
        f"item-{bills['netflix'].pk}-amount": "17.99",
        f"item-{bills['netflix'].pk}-since": "2026-01-01",
        f"item-{tailscale.pk}-decision": "keep",
        "notes": "Cheaper **storage** next year?",
    }
    answer = signed_in(client, alice).post(URL, data)
    saved = Review.objects.exclude(pk=first.pk).get()
    assert answer.status_code == 302 and answer["Location"] == f"/ledger/reviews/#review-{saved.pk}"
    # The Studio's 40, 38 W (38 x 730.5 / 1000 x 0.30 = 8.3277), then 17.99 + 6 + 6, and Spotify
    # still counts this month (it ends in it or early in the next): 89.3077.
    assert saved.baseline == Decimal("89.3077") and saved.by == alice
    assert saved.notes == "Cheaper **storage** next year?"
    bills["spotify"].refresh_from_db()
    assert bills["spotify"].end == ends
    assert list(Price.objects.filter(item=bills["netflix"]).values_list("since", "amount")) == [
        (date(2025, 1, 1), Decimal("15.49")),
        (date(2026, 1, 1), Decimal("17.99")),
    ]
    assert sorted(saved.items.values_list("item_name", "decision", "new_amount", "note")) == [
        ("Backblaze B2", "keep", None, ""),
        ("Netflix", "price_changed", Decimal("17.99"), ""),
        ("Spotify", "cancel", None, "We use the family's Apple Music."),
        ("Tailscale", "keep", None, ""),
    ]
    assert not CreepAlert.objects.filter(reviewed=None).exists()
    assert creep.check() == []  # its own decisions are no creep

    listing = client.get("/ledger/reviews/").content.decode()
    assert "Baseline 89.31 USD a month" in listing and "now 17.99" in listing
    assert "<strong>storage</strong>" in listing  # the notes through the Markdown renderer
    assert listing.index(f'id="review-{saved.pk}"') < listing.index(f'id="review-{first.pk}"')


def test_a_price_change_needs_its_new_price_and_nothing_is_saved(client, alice, bills):
    data = keep_all(bills) | {
        f"item-{bills['netflix'].pk}-decision": "price_changed",
        f"item-{bills['spotify'].pk}-decision": "cancel",
    }
    html = signed_in(client, alice).post(URL, data).content.decode()
    assert "Write the new price, like 12.50." in html and "1 part of the review needs a change" in html
    assert not Review.objects.exists() and CostItem.objects.get(name="Spotify").end is None


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("twelve", "Write the amount as a number, like 19.99."),
        ("-3", "A price cannot be negative: write what it costs, like 19.99."),
        ("12.505", "Write the amount with at most two decimals (cents), like 19.99."),
        ("12.5001", "Write the amount with at most two decimals (cents), like 19.99."),
    ],
)
def test_a_wrong_new_price_says_what_to_write(client, alice, bills, amount, words):
    data = keep_all(bills) | {
        f"item-{bills['netflix'].pk}-decision": "price_changed",
        f"item-{bills['netflix'].pk}-amount": amount,
    }
    assert words in signed_in(client, alice).post(URL, data).content.decode()
    assert not Review.objects.exists()


def test_a_new_price_is_read_as_typed_and_may_not_come_before_the_items_start(client, alice, bills):
    client = signed_in(client, alice)
    netflix = f"item-{bills['netflix'].pk}"
    early = keep_all(bills) | {f"{netflix}-decision": "price_changed", f"{netflix}-amount": "17,99"}
    html = client.post(URL, early | {f"{netflix}-since": "2024-12-31"}).content.decode()
    assert "A price change cannot come before the start (1 January 2025)." in html
    assert not Review.objects.exists() and Price.objects.filter(item=bills["netflix"]).count() == 1
    client.post(URL, early | {f"{netflix}-since": "2025-02-01"})
    assert list(Price.objects.filter(item=bills["netflix"]).values_list("since", "amount")) == [
        (date(2025, 1, 1), Decimal("15.49")),
        (date(2025, 2, 1), Decimal("17.99")),
    ]


def test_the_ledgers_own_rules_refuse_a_decision_and_undo_the_others(client, alice, bills):
    data = keep_all(bills) | {
        f"item-{bills['netflix'].pk}-decision": "price_changed",
        f"item-{bills['netflix'].pk}-amount": "17.99",
        f"item-{bills['spotify'].pk}-decision": "cancel",
        f"item-{bills['spotify'].pk}-end": "2024-12-31",  # before it started
    }
    html = signed_in(client, alice).post(URL, data).content.decode()
    assert "The end date is before the start date." in html
    assert not Review.objects.exists() and not ReviewItem.objects.exists()
    assert Price.objects.filter(item=bills["netflix"]).count() == 1  # the price change was undone
    assert CostItem.objects.get(name="Spotify").end is None


def test_a_review_without_recurring_items_still_records_the_baseline(client, alice):
    cost("Mac Studio", "2400", kind=Kind.ONE_OFF, category=Category.HARDWARE, life_months=60)
    client = signed_in(client, alice)
    assert "No recurring costs to review." in client.get(URL).content.decode()
    client.post(URL, {"notes": ""})
    assert Review.objects.get().baseline == Decimal("40")


def test_the_reviews_page_lists_newest_first_and_says_when_there_is_none(client, alice):
    client = signed_in(client, alice)
    assert "No review yet." in client.get("/ledger/reviews/").content.decode()
    now = timezone.now()
    older = review("50", created=now - timedelta(days=90))
    newer = review("55", created=now, kind="acknowledged")
    html = client.get("/ledger/reviews/").content.decode()
    assert html.index(f'id="review-{newer.pk}"') < html.index(f'id="review-{older.pk}"')
    assert "Creep acknowledged" in html and "Baseline 55.00 USD a month" in html
