"""`manage.py ledger_report`: a month's run rate by category and by item, as JSON with
amounts as two-decimal strings and as aligned text; a wrong --month is refused in words."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from apps.ledger import figures
from apps.ledger.models import Category, CostItem, Kind, LedgerSettings, Period, Price, UsageEntry, latest_day

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def stack(db):
    """June 2024, long finished: nothing is projected, whatever day the test runs."""
    LedgerSettings.objects.update_or_create(pk=1, defaults={"currency": "EUR", "kwh_price": D("0.30")})
    start = date(2024, 1, 15)

    def item(name: str, amount: str | None = None, **fields) -> CostItem:
        made = CostItem.objects.create(name=name, start=start, **fields)
        if amount is not None:
            Price.objects.create(item=made, since=start, amount=D(amount), currency="EUR")
        return made

    item("Mac Studio", "1999", kind=Kind.ONE_OFF, category=Category.HARDWARE, life_months=60)
    item("iCloud+ 2 TB", "119.88", category=Category.SUBSCRIPTION, period=Period.YEARLY)
    item("Backblaze B2", "6.125", category=Category.SUBSCRIPTION)  # 6.13, half-up
    item("Electricity", category=Category.ELECTRICITY, watts=D("85"))
    cloud = item("Cloud API: cloud", kind=Kind.USAGE, category=Category.CLOUD_API)
    UsageEntry.objects.create(item=cloud, day=date(2024, 6, 3), amount=D("0.4500"), currency="EUR")
    UsageEntry.objects.create(item=cloud, day=date(2024, 6, 29), amount=D("1.2051"), currency="EUR")
    item("Gone", "50", end=date(2024, 5, 31))


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("ledger_report", *args, stdout=out)
    return out.getvalue()


def test_the_json_report_is_exact_with_two_decimal_strings(stack):
    assert json.loads(run("--month", "2024-06", "--json")) == {
        "month": "2024-06",
        "currency": "EUR",
        "total": "69.71",  # 33.31666... + 18.62775 + 9.99 + 6.125 + 1.6551 = 69.71451...
        "by_category": {
            "hardware": "33.32",
            "subscription": "16.12",
            "cloud_api": "1.66",
            "electricity": "18.63",
            "domain": "0.00",
            "other": "0.00",
        },
        "items": [
            {"name": "Mac Studio", "category": "hardware", "kind": "one_off", "amount": "33.32"},
            {"name": "Electricity", "category": "electricity", "kind": "recurring", "amount": "18.63"},
            {"name": "iCloud+ 2 TB", "category": "subscription", "kind": "recurring", "amount": "9.99"},
            {"name": "Backblaze B2", "category": "subscription", "kind": "recurring", "amount": "6.13"},
            {"name": "Cloud API: cloud", "category": "cloud_api", "kind": "usage", "amount": "1.66"},
        ],
    }


def test_the_text_report_lines_up_its_columns(stack):
    text = run("--month", "2024-06")
    lines = text.splitlines()
    assert lines[0] == "Run rate for June 2024, in EUR"
    assert "  Hardware      33.32" in lines
    assert "  Total         69.71" in lines
    items = lines[lines.index("By item") + 1 :]
    assert items[0] == "  Mac Studio        Hardware      One-off purchase  33.32"
    assert items[-1] == "  Cloud API: cloud  Cloud API     Paid by use        1.66"
    assert len({len(line) for line in items}) == 1  # every amount ends in the same column


def test_this_month_is_the_default_and_says_usage_is_projected(stack):
    text = run()
    assert text.splitlines()[0] == (
        f"Run rate for {timezone.localdate():%B %Y}, in EUR (so far, counted tokens projected over the whole month)"
    )


def test_an_empty_ledger_says_what_to_do(db):
    text = run("--month", "2024-06")
    assert "Nothing costs money this month" in text
    assert json.loads(run("--month", "2024-06", "--json"))["items"] == []


@pytest.mark.parametrize(
    "month", ["2024-13", "2024-6", "June", "2024-06-01", "0000-01", "0001-01", "1989-12", "9999-01", ""]
)
def test_a_wrong_month_is_refused_in_words(db, month):
    last = latest_day()
    with pytest.raises(CommandError) as caught:
        run("--month", month)
    assert str(caught.value) == (
        f"--month: Write a year and month from 1990-01 to {last:%Y-%m}, like 2026-05, not {month!r}."
    )


@pytest.mark.parametrize(
    ("month", "known"), [("1990-01", True), ("1989-12", False), ("0001-01", False), ("far", False)]
)
def test_the_charges_page_and_the_report_know_the_same_months(client, owner, month, known):
    if month == "far":
        month = f"{figures.add_months(latest_day(), 1):%Y-%m}"
    shown = client.get(reverse("ledger:charges") + f"?month={month}").context["month"]
    assert shown == (date(1990, 1, 1) if known else figures.month_start(timezone.localdate()))
    if known:
        assert "Run rate for January 1990" in run("--month", month)
    else:
        with pytest.raises(CommandError):
            run("--month", month)


def test_the_report_agrees_with_the_figures(stack):
    june = figures.run_rate(date(2024, 6, 1), today=date(2024, 7, 1))
    document = json.loads(run("--month", "2024-06", "--json"))
    assert document["total"] == str(figures.cents(june.total))
    assert [row["amount"] for row in document["items"]] == [str(figures.cents(line.amount)) for line in june.lines]
