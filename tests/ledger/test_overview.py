"""The overview: the run rate by category and item, the charts (SVG with words), total cost of
ownership to date, owning against the cloud alternative, what changed since the last review,
the empty state; the creep panel on the owner's home page only."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.ledger import charts, creep, reports, services
from apps.ledger.models import Category, Kind, LedgerSettings, Period
from tests.conftest import signed_in
from tests.ledger.reports_setup import cost, review

pytestmark = pytest.mark.django_db


def stack() -> None:
    """The reference stack, briefly: 40.00 + 9.99 + 1.25 + 13.149 = 64.389 a month."""
    cost("Mac Studio", "2400", kind=Kind.ONE_OFF, category=Category.HARDWARE, life_months=60, start=date(2025, 3, 10))
    cost("Kagi", "9.99")
    cost("home.example domain", "15", period=Period.YEARLY, category=Category.DOMAIN)
    cost("Electricity", "0", category=Category.ELECTRICITY, watts=Decimal("60"))  # 60 x 730.5 / 1000 x 0.30


def page(client, alice) -> str:
    return signed_in(client, alice).get("/ledger/").content.decode()


def test_an_empty_ledger_says_what_to_add_first(client, alice):
    html = page(client, alice)
    assert "No costs recorded yet." in html and "Add a cost" in html and "Import a bank or card export" in html
    assert "ledger-trend" not in html and "Total cost of ownership" not in html


def test_the_run_rate_by_category_and_the_biggest_items(client, alice):
    stack()
    overview = reports.overview()
    assert overview.run_rate.total == Decimal("64.389")
    assert [(share.label, share.amount) for share in overview.categories] == [
        ("Hardware", Decimal("40")),
        ("Electricity", Decimal("13.149")),
        ("Subscription", Decimal("9.99")),
        ("Domain", Decimal("1.25")),
    ]
    assert [share.label for share in overview.biggest] == ["Mac Studio", "Electricity", "Kagi", "home.example domain"]
    assert [share.percent for share in overview.categories] == [
        Decimal("62.12"),
        Decimal("20.42"),
        Decimal("15.52"),
        Decimal("1.94"),
    ]
    html = page(client, alice)
    assert '64.39 <span class="currency">USD</span>' in html
    assert '<th scope="row">Electricity</th><td class="num">13.15</td>' in html
    # The charts say in words what they draw.
    assert '<title id="categories-svg-title">This month by category: Hardware 40.00; Electricity 13.15; ' in html
    assert 'role="img"' in html and "The figures, month by month" in html


@pytest.mark.parametrize(
    ("alternative", "sentence"),
    [
        ("85", "Owning costs 64.39 a month; the cloud alternative 85.00: owning saves 20.61 a month."),
        (
            "50.5",
            "Owning costs 64.39 a month; the cloud alternative 50.50: "
            "owning costs 13.89 a month more than the cloud would.",
        ),
        ("64.39", "Owning costs 64.39 a month; the cloud alternative 64.39: they cost the same."),
    ],
)
def test_owning_against_the_cloud_alternative(client, alice, alternative, sentence):
    stack()
    LedgerSettings.objects.update_or_create(pk=1, defaults={"cloud_alternative": Decimal(alternative)})
    assert sentence in page(client, alice)


def test_without_a_cloud_alternative_the_overview_asks_for_one(client, alice):
    stack()
    html = page(client, alice)
    assert "Enter what the cloud alternative would cost a month" in html and "Owning costs" not in html


def test_total_cost_of_ownership_adds_every_month_from_the_first_start():
    cost("Kagi", "10", start=date(2026, 1, 1))  # January to April: 40
    cost("NAS", "1200", kind=Kind.ONE_OFF, category=Category.HARDWARE, life_months=12, start=date(2025, 11, 20))
    cost("Later", "99", start=date(2026, 6, 1))  # not started yet
    overview = reports.overview(today=date(2026, 4, 15))
    assert (overview.tco, overview.tco_first, overview.tco_months) == (Decimal("640"), date(2025, 11, 1), 6)
    assert [month.total for month in overview.trend][-7:] == [0, 100, 100, 110, 110, 110, 110]
    assert len(overview.trend) == 12 and overview.trend[-1].month == date(2026, 4, 1)


def test_no_review_yet_asks_for_the_first_bill_review(client, alice):
    stack()
    html = page(client, alice)
    assert "No review yet:</strong> do the first bill review to set a baseline." in html


def test_what_changed_since_the_last_review(client, alice):
    netflix = cost("Netflix", "15.49")
    spotify = cost("Spotify", "10.99")
    last = review("26.48")
    services.price_set(netflix, amount=Decimal("17.99"), since=date(2026, 1, 1))
    services.item_end(spotify, end=timezone.localdate())
    cost("Backblaze B2", "6")
    changes = reports.overview().changes
    assert changes is not None
    assert [item.name for item in changes.new_items] == ["Backblaze B2"]
    assert [item.name for item in changes.ended_items] == ["Spotify"]  # it still counts this month
    assert [(c.item.name, c.before.amount, c.price.amount) for c in changes.price_changes] == [
        ("Netflix", Decimal("15.49"), Decimal("17.99"))
    ]
    assert changes.change == Decimal("34.98") - Decimal("26.48")
    when = f"{timezone.localtime(last.created):%-d %B %Y}"
    html = page(client, alice)
    assert f"The run rate is 34.98, up 8.50 (32.10%) from 26.48 at the review of {when}." in html
    assert "Netflix: 15.49 → 17.99 USD" in html and "Backblaze B2" in html


def test_the_trend_chart_draws_twelve_columns_and_the_baseline():
    cost("Kagi", "10", start=date(2026, 1, 1))
    months = reports.overview(today=date(2026, 4, 15)).trend
    chart = charts.trend(months, baseline=Decimal("5"))
    assert len(chart.rects) == 12
    tallest = max(rect.height for rect in chart.rects)
    assert tallest == charts.TREND_HEIGHT - charts.TOP - charts.BOTTOM
    assert [text.text for text in chart.texts if text.css == "value"] == ["10.00"]  # the latest, also the highest
    assert [line.css for line in chart.lines] == ["axis", "baseline"]
    assert chart.rects[-1].title == "April 2026: 10.00"


def test_the_creep_panel_shows_on_the_owners_home_page_only(client, alice, bob):
    cost("Everything", "100")
    review("100")
    assert "creep-badge" not in signed_in(client, alice).get("/").content.decode()
    cost("Backblaze B2", "6")
    creep.check()
    home = client.get("/").content.decode()
    assert 'id="creep-badge"' in home and "Backblaze B2 (6.00 a month)" in home
    assert re.search(r'href="/ledger/#creep">Review the costs', home)
    assert "creep-badge" not in signed_in(client, bob).get("/").content.decode()


def test_costs_without_any_review_ask_the_owner_for_the_first_bill_review(client, alice, bob):
    home = signed_in(client, alice).get("/").content.decode()
    assert "creep-baseline" not in home  # no costs yet: nothing to ask
    cost("Everything", "100")
    home = client.get("/").content.decode()
    assert 'id="creep-baseline"' in home and 'href="/ledger/reviews/new/">Do the first bill review' in home
    assert "creep-baseline" not in signed_in(client, bob).get("/").content.decode()
    review("100")
    assert "creep-baseline" not in signed_in(client, alice).get("/").content.decode()


def test_mark_reviewed_from_the_overview(client, alice):
    cost("Everything", "100")
    review("100")
    cost("Backblaze B2", "6")
    creep.check()
    client = signed_in(client, alice)
    html = client.get("/ledger/").content.decode()
    assert 'id="creep"' in html and 'action="/ledger/creep/reviewed/"' in html
    answer = client.post("/ledger/creep/reviewed/", follow=True)
    assert "Marked reviewed. The new baseline is 106.00 a month." in answer.content.decode()
    assert "creep-badge" not in client.get("/").content.decode()
    again = client.post("/ledger/creep/reviewed/", follow=True).content.decode()
    assert "Nothing was waiting for review" in again
