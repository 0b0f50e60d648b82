"""The owner sees a creep alert on the home page, follows it to the ledger, marks it reviewed
and it is gone; the overview and the bill review, with the reference stack's costs, on a
desktop and a phone."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.ledger import creep, figures, services
from apps.ledger.models import Category, CostItem, Kind, LedgerSettings, Period, Price, Review, UsageEntry
from tests.conftest import make_member
from tests.e2e.conftest import screenshot
from tests.e2e.test_signin import sign_in
from tests.ledger.reports_setup import cost, review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def months_ago(count: int, day: int = 1) -> date:
    return figures.add_months(figures.month_start(timezone.localdate()), -count).replace(day=day)


def reference_stack() -> None:
    """The stack in DESIGN.md, bought over the last two years, and what it pays each month."""
    hardware = [
        ("Mac Studio (M4 Max, 64 GB)", "2399", 60, 20),
        ("Mac mini (M4, 16 GB)", "599", 60, 20),
        ("Synology NAS and disks", "1180", 60, 23),
        ("MacBook Pro", "2499", 48, 30),
        ("Samsung T7 SSD", "189", 60, 8),
        ("APC UPS", "229", 60, 18),
    ]
    for name, price, life, ago in hardware:
        cost(name, price, kind=Kind.ONE_OFF, category=Category.HARDWARE, life_months=life, start=months_ago(ago, 12))
    cost("Kagi search", "10", start=months_ago(14, 3))
    cost("Backblaze B2", "18", period=Period.QUARTERLY, start=months_ago(22, 5), vendor="Backblaze")
    cost("home.example domain", "15", period=Period.YEARLY, category=Category.DOMAIN, start=months_ago(24, 2))
    cost("Tailscale", "6", start=months_ago(4, 1))
    LedgerSettings.objects.update_or_create(
        pk=1,
        defaults={
            "kwh_price": Decimal("0.30"),
            "cloud_alternative": Decimal("85.00"),
            "cloud_alternative_note": "two ChatGPT Plus seats and 2 TB of iCloud",
        },
    )
    for name, watts in (("Studio and mini, electricity", "62"), ("NAS electricity", "38")):
        cost(name, "0", category=Category.ELECTRICITY, watts=Decimal(watts), start=months_ago(20, 12))
    openrouter = cost(
        "OpenRouter (paid fallback)", "0", kind=Kind.USAGE, category=Category.CLOUD_API, start=months_ago(10, 1)
    )
    for ago, amount in (
        (9, "3.10"),
        (8, "4.80"),
        (7, "2.20"),
        (6, "5.60"),
        (5, "7.90"),
        (4, "6.40"),
        (3, "8.75"),
        (2, "11.20"),
        (1, "9.30"),
        (0, "0.90"),  # this month's bill, entered by hand: counted as written
    ):
        day = months_ago(ago, 20 if ago else 1)
        UsageEntry.objects.create(item=openrouter, day=day, amount=Decimal(amount), currency="USD")


def test_the_owner_follows_the_creep_alert_and_marks_it_reviewed(page, live_server):
    make_member("alice", Role.OWNER)
    cost("Kagi search", "10")
    review("10.00")
    cost("Backblaze B2", "6")  # a new recurring cost since the review, and 60% more
    creep.check()
    sign_in(page, live_server, "alice")
    badge = page.locator("#creep-badge")
    expect(badge).to_contain_text("Costs crept up since the last review")
    expect(badge).to_contain_text("Backblaze B2 (6.00 a month)")
    badge.get_by_role("link", name="Review the costs").click()
    expect(page).to_have_url(f"{live_server.url}/ledger/#creep")
    expect(page.locator("#creep")).to_contain_text("The run rate is 16.00, up 6.00 (60.00%) from 10.00")
    page.get_by_role("button", name="Mark reviewed").click()
    expect(page.locator("ul.messages")).to_contain_text("Marked reviewed. The new baseline is 16.00 a month.")
    expect(page.locator("#creep")).to_have_count(0)
    page.goto(f"{live_server.url}/")
    expect(page.locator("#creep-badge")).to_have_count(0)
    assert Review.objects.filter(kind="acknowledged").count() == 1


def test_the_overview_and_the_bill_review_on_a_desktop_and_a_phone(page, phone, live_server):
    make_member("alice", Role.OWNER)
    reference_stack()
    last = Review.objects.create(created=timezone.now() - timedelta(days=75), baseline=Decimal("172.50"))
    CostItem.objects.update(created=last.created - timedelta(days=1))  # all there at the review
    Price.objects.update(created=last.created - timedelta(days=1))
    # Since the review: Kagi went up, Tailscale was added (backdated rows, as if written then).
    kagi = CostItem.objects.get(name="Kagi search")
    services.price_set(kagi, amount=Decimal("12"), since=months_ago(1, 1))
    CostItem.objects.filter(name="Tailscale").update(created=last.created + timedelta(days=20))
    creep.check()

    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/ledger/")
    expect(page.locator("svg.ledger-trend rect.bar")).to_have_count(12)
    expect(page.locator("svg.ledger-bars rect.bar")).to_have_count(5)
    expect(page.locator(".cloud")).to_contain_text("the cloud alternative 85.00")
    expect(page.locator("#since-review")).to_contain_text("Kagi search: 10.00 → 12.00 USD")
    screenshot(page, "ledger-overview")

    page.get_by_role("link", name="Do the bill review instead").click()
    expect(page.locator("fieldset.review-item")).to_have_count(4)
    backblaze = page.locator("fieldset.review-item", has_text="Backblaze B2")
    backblaze.get_by_label("Price changed", exact=True).check()
    backblaze.locator("input[name$='-amount']").fill("21")
    page.locator("fieldset.review-item", has_text="Tailscale").get_by_label("Cancel", exact=True).check()
    page.get_by_label("Notes for the whole review").fill("Tailscale's free plan is enough for us.")
    screenshot(page, "ledger-bill-review")
    page.get_by_role("button", name="Save the review").click()
    expect(page.locator("ul.messages")).to_contain_text("Bill review saved. The new baseline is")
    expect(page.locator("section.review").first).to_contain_text("Tailscale")
    screenshot(page, "ledger-reviews")

    sign_in(phone, live_server, "alice")
    for path in ("/ledger/", "/ledger/reviews/new/", "/ledger/reviews/"):
        phone.goto(f"{live_server.url}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390-px phone"
    phone.goto(f"{live_server.url}/ledger/")
    screenshot(phone, "ledger-overview-phone")
