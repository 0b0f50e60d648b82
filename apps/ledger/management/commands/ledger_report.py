"""`manage.py ledger_report [--month YYYY-MM] [--json]`: a month's run rate by category and by
item, from figures.py (the pages' numbers to the cent). Amounts are rounded half-up to cents
only here, for showing; the JSON writes them as strings ("12.50") so no reader turns them
into floats."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from apps.ledger import figures, month_param
from apps.ledger.models import Category, Kind, LedgerSettings


def parse_month(text: str) -> date:
    try:
        return month_param.parse_month(text)
    except month_param.MonthProblem as problem:
        raise CommandError(f"--month: {problem}") from None


def report(month: figures.Month, currency: str) -> dict[str, Any]:
    return {
        "month": f"{month.month:%Y-%m}",
        "currency": currency,
        "total": str(figures.cents(month.total)),
        "by_category": {category: str(figures.cents(amount)) for category, amount in month.by_category.items()},
        "items": [
            {
                "name": line.item.name,
                "category": line.item.category,
                "kind": line.item.kind,
                "amount": str(figures.cents(line.amount)),
            }
            for line in month.lines
        ],
    }


def table(rows: Sequence[tuple[str, ...]], amounts: list[str]) -> list[str]:
    """Text columns left-aligned, the amount right-aligned, two spaces between."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))] if rows else []
    width = max(map(len, amounts), default=0)
    return [
        "  " + "  ".join(cell.ljust(widths[n]) for n, cell in enumerate(row)) + "  " + amount.rjust(width)
        for row, amount in zip(rows, amounts, strict=True)
    ]


def text(month: figures.Month, currency: str, today: date) -> str:
    shown = {value: f"{figures.cents(amount):,}" for value, amount in month.by_category.items()}
    total = f"{figures.cents(month.total):,}"
    when = (
        "so far, counted tokens projected over the whole month"
        if month.month == figures.month_start(today)
        else ("to come" if month.month > today else "")
    )
    lines = [f"Run rate for {month.label}, in {currency}{f' ({when})' if when else ''}", "", "By category"]
    lines += table([(Category(value).label,) for value in shown] + [("Total",)], [*shown.values(), total])
    lines += ["", "By item"]
    if month.lines:
        rows = [(line.item.name, line.item.get_category_display(), Kind(line.item.kind).label) for line in month.lines]
        lines += table(rows, [f"{figures.cents(line.amount):,}" for line in month.lines])
    else:
        lines.append("  Nothing costs money this month: add costs on the ledger's Items page.")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Print a month's run rate by category and by item (this month unless --month is given)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="The month, like 2026-05. Default: this month (household time).")
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="JSON, amounts as strings with two decimals."
        )

    def handle(self, *args: Any, month: str | None = None, as_json: bool = False, **options: Any) -> None:
        today = timezone.localdate()
        first = parse_month(month) if month is not None else figures.month_start(today)
        figures_of_month = figures.run_rate(first, today=today)
        currency = LedgerSettings.load().currency
        if as_json:
            self.stdout.write(json.dumps(report(figures_of_month, currency), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(text(figures_of_month, currency, today))
