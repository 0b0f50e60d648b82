"""Cells as banks write them: dates in several formats, amounts in several locales (Babel)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from apps.ledger.importers.values import (
    ValueProblem,
    date_formats_that_fit,
    locales_that_fit,
    parse_date,
    parse_number,
)


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("12.50", "en_US", Decimal("12.50")),
        ("$1,234.56", "en_US", Decimal("1234.56")),
        ("USD 1,000", "en_US", Decimal("1000")),
        ("-$5.00", "en_US", Decimal("-5.00")),
        ("(12.00)", "en_US", Decimal("-12.00")),
        ("£1,050.25", "en_US", Decimal("1050.25")),
        ("-1.234,56 €", "de_DE", Decimal("-1234.56")),
        ("12,00-", "de_DE", Decimal("-12.00")),
        ("EUR 12,50", "de_DE", Decimal("12.50")),
        ("+2.500,00", "de_DE", Decimal("2500.00")),
        ("−7,10", "de_DE", Decimal("-7.10")),  # a typographic minus
        ("1 234,56", "fr_FR", Decimal("1234.56")),
        ("1\u00a0234,56 €", "fr_FR", Decimal("1234.56")),
        ("CHF 1'234.50", "de_CH", Decimal("1234.50")),
    ],
)
def test_it_reads_amounts_as_the_locale_writes_them(text, locale, expected):
    assert parse_number(text, locale) == expected


@pytest.mark.parametrize(
    ("text", "locale", "words"),
    [
        ("twelve", "en_US", "“twelve” is not an amount written like 1,234.56"),
        ("12,50", "en_US", "“12,50” is not an amount written like 1,234.56"),
        ("1,234.56", "de_DE", "“1,234.56” is not an amount written like 1.234,56"),
        ("", "en_US", "the amount is empty"),
        ("$", "en_US", "the amount is empty"),
        ("99999999999", "en_US", "“99999999999” is too large for an amount"),
        ("1.23456", "en_US", "“1.23456” has more than 4 digits after the decimal point"),
        ("-1E3", "en_US", "“-1E3” is not an amount written like 1,234.56"),
        ("1e3", "de_DE", "“1e3” is not an amount written like 1.234,56"),
        ("1_000", "en_US", "“1_000” is not an amount written like 1,234.56"),
        ("NaN", "en_US", "“NaN” is not an amount written like 1,234.56"),
        ("-Infinity", "de_DE", "“-Infinity” is not an amount written like 1.234,56"),
        ("inf", "fr_FR", "“inf” is not an amount written like 1 234,56"),
    ],
)
def test_it_says_which_amount_it_cannot_read(text, locale, words):
    with pytest.raises(ValueProblem) as problem:
        parse_number(text, locale)
    assert str(problem.value) == words


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("2026-11-03", "%Y-%m-%d", date(2026, 11, 3)),
        ("2026-11-03 14:22:05", "%Y-%m-%d", date(2026, 11, 3)),
        ("2026-11-03T14:22:05Z", "%Y-%m-%d", date(2026, 11, 3)),
        ("03.11.2026", "%d.%m.%Y", date(2026, 11, 3)),
        ("3.11.26", "%d.%m.%y", date(2026, 11, 3)),
        ("03/11/2026", "%d/%m/%Y", date(2026, 11, 3)),
        ("03/11/2026", "%m/%d/%Y", date(2026, 3, 11)),
        ("3 Nov 2026", "%d %b %Y", date(2026, 11, 3)),
        ("3 November 2026", "%d %B %Y", date(2026, 11, 3)),
        ("Nov 3, 2026", "%b %d, %Y", date(2026, 11, 3)),
        ("2026/11/03", "%Y/%m/%d", date(2026, 11, 3)),
    ],
)
def test_it_reads_dates_in_the_chosen_format(text, fmt, expected):
    assert parse_date(text, fmt) == expected


def test_an_impossible_date_says_so():
    with pytest.raises(ValueProblem) as problem:
        parse_date("31/02/2026", "%d/%m/%Y")
    assert str(problem.value) == "“31/02/2026” is not a date (that month has no such day)"
    with pytest.raises(ValueProblem) as problem:
        parse_date("03.11.2026", "%Y-%m-%d")
    assert str(problem.value) == "“03.11.2026” is not a date written like 2026-11-03 (year-month-day)"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2026-11-03", "2026-11-30"], ["%Y-%m-%d"]),
        (["03.11.2026", "30.11.2026"], ["%d.%m.%Y"]),
        (["03/11/2026", "30/11/2026"], ["%d/%m/%Y"]),
        (["11/03/2026", "11/30/2026"], ["%m/%d/%Y"]),
        (["03/11/2026", "04/11/2026"], ["%d/%m/%Y", "%m/%d/%Y"]),  # ambiguous: the owner chooses
        (["2026-11-03", "05.11.2026", "2026-11-04"], ["%Y-%m-%d"]),  # mixed: the most win
        (["hello"], []),
    ],
)
def test_the_date_format_is_found_from_the_column(values, expected):
    assert date_formats_that_fit(values) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["-12,49", "-1.234,56"], ["de_DE"]),
        (["$20.00", "$1,299.00"], ["en_US"]),
        (["12", "7"], ["en_US", "de_DE", "fr_FR", "de_CH"]),
    ],
)
def test_the_number_locale_is_found_from_the_column(values, expected):
    assert locales_that_fit(values) == expected
