"""Every row of a file read with the owner's mapping: its date, the amount paid and the
description, or what is wrong with it in plain words; duplicates flagged against the charges
already saved and within the file. Nothing is written here (services.import_batch_save does).

The sign: a charge is money paid, stored positive. With one amount column the owner says which
sign is money paid (negative in a bank account's export, positive in most card statements);
rows of the other sign are money in (a salary, a refund, paying the card off) and are skipped,
as are credit-column rows with debit and credit columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from apps.core.wording import and_list, plural
from apps.ledger import services
from apps.ledger.importers import Row, Table
from apps.ledger.importers.mapping import NEGATIVE_PAID, Mapping
from apps.ledger.importers.values import ValueProblem, parse_date, parse_number
from apps.ledger.models import Charge, day_problem

DESCRIPTION_LIMIT = Charge._meta.get_field("description").max_length or 300
READY, DUPLICATE, ERROR, SKIPPED = "ready", "duplicate", "error", "skipped"


@dataclass
class Line:
    row: int
    status: str = READY
    day: date | None = None
    amount: Decimal | None = None  # money paid, positive, in the file's currency
    description: str = ""
    problem: str = ""  # the row's errors, or why it is skipped or a duplicate

    @property
    def amount_text(self) -> str:
        """The amount exactly as read (1,234.567 stays so): the preview shows what would be saved."""
        return "" if self.amount is None else f"{self.amount:,f}"

    @property
    def message(self) -> str:
        return f"row {self.row}: {self.problem}" if self.problem else ""


@dataclass
class Preview:
    lines: list[Line]
    currency: str
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counts = {status: 0 for status in (READY, DUPLICATE, ERROR, SKIPPED)}
        for line in self.lines:
            self.counts[line.status] += 1

    @property
    def errors(self) -> list[Line]:
        return [line for line in self.lines if line.status == ERROR]

    def to_save(self, *, include_duplicates: bool) -> list[Line]:
        wanted = {READY, DUPLICATE} if include_duplicates else {READY}
        return [line for line in self.lines if line.status in wanted]

    def _saved_lines(self, include_duplicates: bool) -> list[tuple[Line, date, Decimal]]:
        return [
            (line, line.day, line.amount)
            for line in self.to_save(include_duplicates=include_duplicates)
            if line.day is not None and line.amount is not None
        ]

    def charges(self, *, include_duplicates: bool, item_id: int | None, rate: Decimal) -> list[Charge]:
        """The unsaved Charge rows (services.import_batch_save saves them, all or none)."""
        return [
            Charge(
                item_id=item_id,
                day=day,
                amount=amount,
                currency=self.currency,
                rate=rate,
                description=line.description,
                source=Charge.Source.IMPORT,
            )
            for line, day, amount in self._saved_lines(include_duplicates)
        ]

    def rows(self, *, include_duplicates: bool) -> list[int]:
        """The file's row number of each of `charges` (the same order), for import_batch_save's errors."""
        return [line.row for line, _day, _amount in self._saved_lines(include_duplicates)]

    def summary(self, *, include_duplicates: bool = False) -> str:
        ready, duplicates = self.counts[READY], self.counts[DUPLICATE]
        parts = [f"{plural(ready, 'row')} ready"]
        if duplicates:
            parts.append(f"{plural(duplicates, 'duplicate')} {'included' if include_duplicates else 'skipped'}")
        if self.counts[SKIPPED]:
            parts.append(f"{plural(self.counts[SKIPPED], 'row')} of money in skipped")
        parts.append(plural(self.counts[ERROR], "error"))
        return and_list(parts) + "."

    def refusal(self) -> str:
        """Why nothing can be saved while rows have errors (all or nothing)."""
        rows = [str(line.row) for line in self.errors]
        shown = and_list(rows[:10]) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")
        return (
            f"Nothing was saved: {plural(len(rows), 'row')} {'has' if len(rows) == 1 else 'have'} errors "
            f"(row{'s' if len(rows) > 1 else ''} {shown}). An import saves every row or none: choose another "
            "date or number format, or fix the file and upload it again."
        )


def normalised(text: str) -> str:
    return " ".join(text.casefold().split())


def _key(day: date, amount: Decimal, currency: str, description: str) -> tuple[date, Decimal, str, str]:
    return (day, amount, currency, normalised(description))


def build(table: Table, mapping: Mapping, *, currency: str) -> Preview:
    """`currency` is the file's (the household's unless the owner chose another)."""
    lines = [_line(row, mapping, currency) for row in table.rows]
    _flag_duplicates(lines, currency)
    return Preview(lines, currency)


def _cell(row: Row, column: int | None) -> str:
    if column is None or column >= len(row.cells):
        return ""
    return row.cells[column]


def _line(row: Row, mapping: Mapping, currency: str) -> Line:
    line = Line(row.number)
    problems: list[str] = []
    try:
        line.day = parse_date(_cell(row, mapping.date), mapping.date_format)
    except ValueProblem as problem:
        problems.append(str(problem))
    if line.day is not None and (outside := day_problem(line.day)):  # Charge.clean's range, before the save
        problems.append(f"{line.day.isoformat()}: {outside}")
    paid, money_in = _paid(row, mapping, problems)
    # The charge's own amount rules (two decimals...), so the preview errs where the save would.
    rules = services.money_problems(paid, "", None, household=currency, negative=True) if not money_in else {}
    if too_fine := rules.get("amount"):
        problems.append(f"{paid:,f}: {too_fine}")
    written = _cell(row, mapping.currency_column).upper()
    if written and written != currency:
        problems.append(f"the amount is in {written}, and this import is in {currency}: import those rows separately")
    parts = [_cell(row, mapping.description), _cell(row, mapping.details)]
    description = " · ".join(part for part in parts if part)
    if len(description) > DESCRIPTION_LIMIT:
        description = description[: DESCRIPTION_LIMIT - 1] + "…"
    line.description, line.amount = description, paid
    if problems:
        line.status, line.problem = ERROR, "; ".join(problems)
    elif money_in:
        line.status, line.problem = SKIPPED, f"money in ({paid:,f}), not a charge: skipped"
    elif paid == 0:
        line.status, line.problem = SKIPPED, "the amount is 0: skipped"
    return line


def _paid(row: Row, mapping: Mapping, problems: list[str]) -> tuple[Decimal | None, bool]:
    """(money paid as a positive amount, whether the row is money in)."""
    try:
        if mapping.amount is not None:
            number = parse_number(_cell(row, mapping.amount), mapping.locale)
            paid = -number if mapping.sign == NEGATIVE_PAID else number
            return (paid, False) if paid >= 0 else (-paid, True)
        debit, credit = _cell(row, mapping.debit), _cell(row, mapping.credit)
        if debit:
            return abs(parse_number(debit, mapping.locale)), False
        if credit:
            return abs(parse_number(credit, mapping.locale)), True
        problems.append("neither the debit nor the credit column has an amount")
    except ValueProblem as problem:
        problems.append(str(problem))
    return None, False


def _flag_duplicates(lines: list[Line], currency: str) -> None:
    """Same day, same amount, same description (case and spacing aside): against the charges
    already saved, then against an earlier row of the file."""
    candidates = [line for line in lines if line.status == READY and line.day and line.amount is not None]
    if not candidates:
        return
    days = [line.day for line in candidates if line.day]
    saved = {
        _key(day, amount, code, text)
        for day, amount, code, text in Charge.objects.filter(day__gte=min(days), day__lte=max(days)).values_list(
            "day", "amount", "currency", "description"
        )
    }
    seen: dict[tuple[date, Decimal, str, str], int] = {}
    for line in candidates:
        assert line.day is not None and line.amount is not None  # candidates only
        key = _key(line.day, line.amount, currency, line.description)
        if key in saved:
            line.status, line.problem = DUPLICATE, "already saved as a charge (same day, amount and description)"
        elif key in seen:
            line.status, line.problem = DUPLICATE, f"the same as row {seen[key]} (same day, amount and description)"
        else:
            seen[key] = line.row
