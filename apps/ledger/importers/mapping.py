"""Which column is which, and how its values are written: the owner's choices for one file,
kept in ImportBatch.mapping, with guesses from the header names and the values to start from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from apps.ledger.importers import Table
from apps.ledger.importers.values import (
    DATE_FORMATS,
    NUMBER_LOCALES,
    ValueProblem,
    date_formats_that_fit,
    locales_that_fit,
    parse_number,
)

NEGATIVE_PAID = "negative_paid"
POSITIVE_PAID = "positive_paid"
SIGNS = {
    NEGATIVE_PAID: "Negative amounts are money paid (a bank account: -12.00 went out)",
    POSITIVE_PAID: "Positive amounts are money paid (a card statement: 12.00 was spent)",
}

# Header words banks use, English and German first (lower case; a header matches by containing one).
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "date": ("date", "datum", "buchungstag", "valuta", "wertstellung", "fecha", "posted", "day"),
    "debit": ("debit", "soll", "withdrawal", "money out", "paid out", "belastung", "ausgang"),
    "credit": ("credit", "haben", "deposit", "money in", "paid in", "gutschrift", "eingang"),
    "amount": ("amount", "betrag", "umsatz", "montant", "importe", "value", "sum"),
    "description": (
        "description",
        "verwendungszweck",
        "payee",
        "merchant",
        "empfänger",
        "empfaenger",
        "zahlungspflichtiger",
        "auftraggeber",
        "buchungstext",
        "beschreibung",
        "details",
        "memo",
        "narrative",
        "name",
        "reference",
        "text",
    ),
    "currency": ("currency", "währung", "waehrung", "ccy", "devise", "curr"),
}


@dataclass
class Mapping:
    date: int | None = None
    amount: int | None = None  # one signed column, or
    debit: int | None = None  # two columns: money out and money in
    credit: int | None = None
    description: int | None = None
    details: int | None = None  # a second description column, joined to the first
    currency_column: int | None = None
    date_format: str = "%Y-%m-%d"
    locale: str = "en_US"
    sign: str = NEGATIVE_PAID
    currency: str = ""  # the file's currency; empty: the household's
    rate: Decimal = Decimal(1)  # household currency per one unit of the file's
    item: int | None = None
    kind: str = "csv"
    # What the guess was unsure about, said on the page; not kept.
    notes: list[str] = field(default_factory=list, compare=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("notes")
        data["rate"] = str(self.rate)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        known = {key: value for key, value in data.items() if key in cls.__dataclass_fields__ and key != "notes"}
        try:
            known["rate"] = Decimal(str(known.get("rate", 1)))
        except InvalidOperation:
            known["rate"] = Decimal(1)
        mapping = cls(**known)
        if mapping.date_format not in DATE_FORMATS:
            mapping.date_format = "%Y-%m-%d"
        if mapping.locale not in NUMBER_LOCALES:
            mapping.locale = "en_US"
        return mapping

    @property
    def columns(self) -> list[int]:
        chosen = (self.date, self.amount, self.debit, self.credit, self.description, self.details, self.currency_column)
        return [column for column in chosen if column is not None]


def _matches(header: list[str], role: str) -> list[int]:
    """Columns whose name holds one of the role's words, left to right (banks put the booking
    date before the value date, the payee before the purpose)."""
    words = HEADER_WORDS[role]
    return [
        index
        for index, name in enumerate(name.casefold() for name in header)
        if any(name == word or word in name.split() or (len(word) > 4 and word in name) for word in words)
    ]


def guess(table: Table, *, currency: str = "") -> Mapping:
    """A starting point the owner corrects: columns from the header's words (else from what
    the values look like), formats from the values."""
    mapping = Mapping(currency=currency)
    taken: set[int] = set()

    def first(role: str) -> int | None:
        for index in _matches(table.header, role):
            if index not in taken:
                taken.add(index)
                return index
        return None

    mapping.date = first("date")
    debit, credit = first("debit"), first("credit")
    mapping.amount = first("amount")
    if mapping.amount is None and (debit is not None or credit is not None):
        mapping.debit, mapping.credit = debit, credit
    mapping.currency_column = first("currency")
    if mapping.currency_column is not None:  # one currency in the whole column: the file's
        written = {value.upper() for value in table.column(mapping.currency_column) if value}
        if len(written) == 1 and (code := written.pop()) != currency and len(code) == 3 and code.isalpha():
            mapping.currency = code
            mapping.notes.append(
                f"The file is in {code} and the household counts in {currency}: give the exchange rate below."
            )
    mapping.description = first("description")
    mapping.details = first("description")
    if mapping.date is None:
        mapping.date = _by_values(table, taken, lambda values: bool(date_formats_that_fit(values)))
    if mapping.amount is None and mapping.debit is None and mapping.credit is None:
        mapping.amount = _by_values(table, taken, lambda values: bool(locales_that_fit(values)))
    if mapping.description is None:
        mapping.description = _longest_text(table, taken)
    _guess_formats(table, mapping)
    return mapping


def _by_values(table: Table, taken: set[int], fits: Any) -> int | None:
    for index in range(len(table.header)):
        if index not in taken and fits(table.column(index)):
            taken.add(index)
            return index
    return None


def _longest_text(table: Table, taken: set[int]) -> int | None:
    free = [index for index in range(len(table.header)) if index not in taken]
    if not free:
        return None
    index = max(free, key=lambda i: sum(len(value) for value in table.column(i)))
    taken.add(index)
    return index


def _guess_formats(table: Table, mapping: Mapping) -> None:
    amounts: list[str] = []
    for column in (mapping.amount, mapping.debit, mapping.credit):
        if column is not None:
            amounts += table.column(column)
    locales = locales_that_fit(amounts)
    if locales:
        # Every value fits more than one locale (whole numbers): a semicolon file is European.
        preferred = "de_DE" if table.delimiter == ";" else "en_US"
        mapping.locale = preferred if preferred in locales else locales[0]
    if mapping.date is not None:
        formats = date_formats_that_fit(table.column(mapping.date))
        if formats:
            american = mapping.locale == "en_US" and table.delimiter == ","
            ordered = [fmt for fmt in formats if fmt.startswith("%m") == american]
            mapping.date_format = (ordered or formats)[0]
            if len(formats) > 1:
                mapping.notes.append(
                    "The dates could be read more than one way (like 03/11/2026: 3 November or 11 March). "
                    "Check the dates in the preview and choose the date format if they are wrong."
                )
    if mapping.amount is not None:
        negative = positive = 0
        for value in table.column(mapping.amount):
            try:
                number = parse_number(value, mapping.locale)
            except ValueProblem:
                continue
            negative += number < 0
            positive += number > 0
        mapping.sign = NEGATIVE_PAID if negative >= positive else POSITIVE_PAID
