"""Amounts as the owner types them on the ledger's forms: the American and the European way
(read as the importer reads a file's, with Babel), and nothing a person would not write."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.ledger.forms import AMOUNT_WORDS, MoneyForm
from apps.ledger.models import Charge


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("19.99", Decimal("19.99")),
        ("19,99", Decimal("19.99")),
        ("1,999.00", Decimal("1999.00")),
        ("1.999,00", Decimal("1999.00")),
        ("1999", Decimal("1999")),
        ("1,999", Decimal("1999")),  # American first: one thousand nine hundred and ninety-nine
        (" -5,00 ", Decimal("-5.00")),
        ("$12.50", Decimal("12.50")),
    ],
)
def test_it_reads_an_amount_typed_the_american_or_the_european_way(typed, expected):
    form = MoneyForm({"amount": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == expected


@pytest.mark.parametrize("typed", ["1E3", "1e3", "1_000", "NaN", "nan", "Infinity", "inf", "twelve", "1.2.3,4", "١٢"])
def test_it_refuses_what_is_not_an_amount_in_plain_words(typed):
    form = MoneyForm({"amount": typed})
    assert not form.is_valid()
    assert form.errors["amount"] == [AMOUNT_WORDS]


@pytest.mark.parametrize(
    ("typed", "saved", "words"),
    [
        ("19,99", Decimal("19.99"), ""),
        ("19,999", Decimal("19999"), ""),  # the American 19999
        ("1,2345", None, "Write the amount with at most two decimals (cents), like 19.99."),
        ("19.999,999", None, "Write the amount with at most two decimals (cents), like 19.99."),
        ("1E3", None, AMOUNT_WORDS),
    ],
)
def test_the_charge_form_saves_what_was_read_by_the_two_decimal_rule(client, owner, typed, saved, words):
    response = client.post(reverse("ledger:charge_new"), {"day": "2025-03-01", "amount": typed, "description": "x"})
    assert list(Charge.objects.values_list("amount", flat=True)) == ([saved] if saved is not None else [])
    if words:
        assert response.status_code == 400 and words in html.unescape(response.content.decode())
