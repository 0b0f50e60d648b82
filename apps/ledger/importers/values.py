"""What a cell means: a date in one of the formats banks write, an amount in a locale's way of
writing numbers (Babel parses those; nothing here splits digits by hand).

The format of a column is guessed from all its values (the one that reads every value; when
several do, like 03/11/2026 read day-first or month-first, the owner chooses and the page says
so) and the owner may always choose another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from babel.numbers import NumberFormatError, get_group_symbol, parse_decimal

# strptime format -> how the owner recognises it. %b/%B read English month names (the C locale).
DATE_FORMATS: dict[str, str] = {
    "%Y-%m-%d": "2026-11-03 (year-month-day)",
    "%d.%m.%Y": "03.11.2026 (day.month.year)",
    "%d.%m.%y": "03.11.26 (day.month.two-digit year)",
    "%d/%m/%Y": "03/11/2026 (day/month/year)",
    "%m/%d/%Y": "11/03/2026 (month/day/year, American)",
    "%m/%d/%y": "11/03/26 (month/day/two-digit year, American)",
    "%d-%m-%Y": "03-11-2026 (day-month-year)",
    "%Y/%m/%d": "2026/11/03 (year/month/day)",
    "%d %b %Y": "3 Nov 2026",
    "%d %B %Y": "3 November 2026",
    "%b %d, %Y": "Nov 3, 2026",
}
# Number locales: how 1234.56 is written. Babel knows each locale's separators.
NUMBER_LOCALES: dict[str, str] = {
    "en_US": "1,234.56 (US, UK)",
    "de_DE": "1.234,56 (Germany, most of Europe)",
    "fr_FR": "1 234,56 (France)",
    "de_CH": "1'234.56 (Switzerland)",
}
CURRENCY_SIGNS = re.compile(r"[$€£¥₹₽₩₺₪฿]|\b[A-Z]{3}\b|\bUS\$|\bkr\b|\bCHF\b")
SPACES = re.compile(r"[\s\u00a0\u202f]+")
# What is left of an amount once its currency and sign are gone: digits and the separators the
# locales write. Babel would also read 1E3, 1_000, NaN and Infinity; no bank writes those.
NUMBER_CHARACTERS = re.compile(r"[0-9.,'’\s]+")
MAX_AMOUNT = Decimal(10) ** 10  # Charge.amount holds 14 digits, 4 after the point


class ValueProblem(ValueError):
    """One cell cannot be read; the message is the sentence after "row N: "."""


def parse_date(value: str, fmt: str) -> date:
    text = SPACES.sub(" ", value).strip()
    if not text:
        raise ValueProblem("the date is empty")
    candidates = [text]
    if " " not in fmt and (" " in text or "T" in text):  # "2026-11-03 14:22" or ISO with a time
        candidates.append(re.split(r"[ T]", text, maxsplit=1)[0])
    impossible = False
    for candidate in candidates:
        try:
            return datetime.strptime(candidate, fmt).date()  # noqa: DTZ007 (a calendar day, no time)
        except ValueError as error:
            impossible = impossible or "out of range" in str(error)  # 31/02/2026: no such day
    if impossible:
        raise ValueProblem(f"“{value}” is not a date (that month has no such day)")
    raise ValueProblem(f"“{value}” is not a date written like {DATE_FORMATS.get(fmt, fmt)}")


def read_number(value: str, locale: str) -> Decimal:
    """A signed amount as written, unbounded: currency signs and codes dropped; (12.34), 12.34-
    and -12.34 negative. The owner's forms read typed amounts with it too (services.parse_amount)."""
    text = CURRENCY_SIGNS.sub("", value.replace("\u2212", "-")).strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text.endswith("-"):
        negative, text = True, text[:-1].strip()
    if text.startswith("-"):
        negative, text = not negative, text[1:].strip()
    elif text.startswith("+"):
        text = text[1:].strip()
    text = CURRENCY_SIGNS.sub("", text).strip()  # "-$12.00": the sign came first
    if not text:
        raise ValueProblem("the amount is empty")
    written_like = NUMBER_LOCALES[locale].split(" (")[0]
    if not NUMBER_CHARACTERS.fullmatch(text):
        raise ValueProblem(f"“{value}” is not an amount written like {written_like}")
    group = get_group_symbol(locale)
    if group.isspace():
        text = SPACES.sub(group, text)
    elif group == "’":
        text = text.replace("'", group)
    try:
        number = parse_decimal(text, locale=locale, strict=True)
    except NumberFormatError:
        raise ValueProblem(f"“{value}” is not an amount written like {written_like}") from None
    return -number if negative else number


def parse_number(value: str, locale: str) -> Decimal:
    """An amount in a file: read_number within the columns' bounds."""
    number = read_number(value, locale)
    if not number.is_finite() or abs(number) >= MAX_AMOUNT:
        raise ValueProblem(f"“{value}” is too large for an amount")
    if number.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValueProblem(f"“{value}” has more than 4 digits after the decimal point")
    return number


def _fits(values: list[str], parse: object, choice: str) -> int:
    count = 0
    for value in values:
        try:
            parse(value, choice)  # type: ignore[operator]
        except ValueProblem:
            continue
        count += 1
    return count


def date_formats_that_fit(values: Iterable[str]) -> list[str]:
    """The formats that read the most of these values, best first; [] when none reads any."""
    filled = [value for value in values if value.strip()]
    scores = {fmt: _fits(filled, parse_date, fmt) for fmt in DATE_FORMATS}
    best = max(scores.values(), default=0)
    return [fmt for fmt, score in scores.items() if score == best and best > 0]


def locales_that_fit(values: Iterable[str]) -> list[str]:
    filled = [value for value in values if value.strip()]
    scores = {locale: _fits(filled, parse_number, locale) for locale in NUMBER_LOCALES}
    best = max(scores.values(), default=0)
    return [locale for locale, score in scores.items() if score == best and best > 0]
