"""CSV exports: items with this month's figure (figures.py), every charge; UTF-8 with a BOM
and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.ledger import services
from apps.ledger.exports import guarded
from apps.ledger.models import Charge, CostItem, Kind, Period

pytestmark = pytest.mark.django_db


def rows(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="ledger-')
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with its byte-order mark
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("Hetzner = cloud", "Hetzner = cloud"),
        (Decimal("-12.50"), "-12.50"),  # a number stays a number
        (None, ""),
    ],
)
def test_text_that_a_spreadsheet_would_run_gets_an_apostrophe(value, cell):
    assert guarded(value) == cell


def test_items_export_has_the_price_and_this_months_figure(owner):
    today = timezone.localdate()
    studio = CostItem.objects.create(
        name="Mac Studio",
        vendor="Apple",
        category="hardware",
        kind=Kind.ONE_OFF,
        life_months=60,
        start=today - timedelta(days=40),
    )
    services.price_set(studio, amount=Decimal("3999.00"), since=studio.start)
    domain = CostItem.objects.create(
        name="=cmd|' /C calc'!A0",
        category="domain",
        kind=Kind.RECURRING,
        period=Period.YEARLY,
        start=today - timedelta(days=400),
    )
    services.price_set(domain, amount=Decimal("15.00"), since=domain.start)
    table = rows(owner.get(reverse("ledger:export_items")))
    assert table[0] == [
        "Name",
        "Vendor",
        "Category",
        "Kind",
        "Period",
        "Current price",
        "Currency",
        "This month",
        "Household currency",
        "Start",
        "End",
        "Useful life (months)",
    ]
    assert table[1:] == [
        [
            "'=cmd|' /C calc'!A0",
            "",
            "Domain",
            "Recurring",
            "Every year",
            "15.00",
            "USD",
            "1.25",
            "USD",
            str(domain.start),
            "",
            "",
        ],
        [
            "Mac Studio",
            "Apple",
            "Hardware",
            "One-off purchase",
            "",
            "3999.00",
            "USD",
            "66.65",
            "USD",
            str(studio.start),
            "",
            "60",
        ],
    ]


def test_charges_export_has_every_charge_guarded(owner):
    today = timezone.localdate()
    item = CostItem.objects.create(name="Backblaze", start=today)
    Charge.objects.create(day=today, amount=Decimal("6.0000"), currency="USD", item=item, description="B2 storage")
    Charge.objects.create(
        day=today - timedelta(days=1),
        amount=Decimal("12.3456"),
        currency="EUR",
        rate=Decimal("1.08"),
        description="@SUM(1+1)*cmd|' /C calc'!A0",
        source="import",
    )
    table = rows(owner.get(reverse("ledger:export_charges")))
    assert table == [
        ["Date", "Amount", "Currency", "Rate", "Item", "Description", "Source", "Import"],
        [str(today - timedelta(days=1)), "12.3456", "EUR", "1.08", "", "'@SUM(1+1)*cmd|' /C calc'!A0", "Imported", ""],
        [str(today), "6.00", "USD", "1", "Backblaze", "B2 storage", "Entered", ""],
    ]


def test_an_empty_ledger_exports_the_header_only(owner):
    assert rows(owner.get(reverse("ledger:export_charges"))) == [
        ["Date", "Amount", "Currency", "Rate", "Item", "Description", "Source", "Import"]
    ]
