"""CSV exports of the items (with this month's figure) and of every charge, for a spreadsheet.

Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return) get a leading apostrophe; numbers are written as numbers. UTF-8 with a byte-order mark,
so that Excel reads accents and € right.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal

from django.utils import timezone

from apps.ledger import figures
from apps.ledger.models import Charge

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | Decimal | date | None


def plain(value: Decimal) -> Decimal:
    """12.5000 -> 12.50, 0.12345 stays: cents unless the amount is finer (never 1E+2)."""
    rounded = figures.cents(value)
    return rounded if rounded == value else Decimal(format(value.normalize(), "f"))


def guarded(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | int | date):
        return str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def lines(header: list[str], rows: Iterable[list[Cell]]) -> Iterator[str]:
    """The CSV text line by line, starting with the byte-order mark (for a streaming response)."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(header)
    for row in rows:
        yield writer.writerow([guarded(cell) for cell in row])


ITEM_HEADER = [
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


def item_rows(*, today: date | None = None) -> Iterator[list[Cell]]:
    """Every item with its price today and what it adds to this month (figures.py's figure)."""
    today = today or timezone.localdate()
    month = figures.run_rate(today=today)
    household = figures.LedgerSettings.load().currency
    for item in sorted(figures.items(), key=lambda item: item.name.casefold()):
        price = figures.price_in_effect(item.prices.all(), today)
        yield [
            item.name,
            item.vendor,
            item.get_category_display(),
            item.get_kind_display(),
            item.get_period_display() if item.kind == "recurring" else "",
            plain(price.amount) if price else None,
            price.currency if price else "",
            figures.cents(month.amount_of(item.pk)),
            household,
            item.start,
            item.end,
            item.life_months,
        ]


CHARGE_HEADER = ["Date", "Amount", "Currency", "Rate", "Item", "Description", "Source", "Import"]


def charge_rows() -> Iterator[list[Cell]]:
    charges = Charge.objects.select_related("item", "batch").order_by("day", "pk")
    for charge in charges.iterator(chunk_size=1000):
        yield [
            charge.day,
            plain(charge.amount),
            charge.currency,
            Decimal(format(charge.rate.normalize(), "f")),
            charge.item.name if charge.item else "",
            charge.description,
            charge.get_source_display(),
            charge.batch.filename if charge.batch else "",
        ]
