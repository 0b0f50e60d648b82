"""A month written YYYY-MM: the charges page's ?month= and `ledger_report --month` read it here,
within the years the ledger accepts for a day (models.EARLIEST_DAY to models.latest_day()),
so a page and the command agree on which months exist."""

from __future__ import annotations

import re
from datetime import date

from apps.ledger.models import EARLIEST_DAY, latest_day

MONTH = re.compile(r"(\d{4})-(\d{2})")


class MonthProblem(ValueError):
    """The text is not a month the ledger knows; the message says what to write."""


def parse_month(text: str) -> date:
    """The first day of the month written, like 2026-05."""
    last = latest_day()
    words = f"Write a year and month from {EARLIEST_DAY:%Y-%m} to {last:%Y-%m}, like 2026-05, not {text!r}."
    match = MONTH.fullmatch(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < EARLIEST_DAY.year:
        raise MonthProblem(words)
    month = date(int(match.group(1)), int(match.group(2)), 1)
    if month > last:
        raise MonthProblem(words)
    return month
