"""Amounts near the columns' limits: a foreign amount whose household value (amount x rate)
would not fit is refused in words, and a run rate that sums many large amounts fits the
baseline and alert columns (on Postgres a too-narrow column is a database error, a 500)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.ledger import creep, reviews, services
from apps.ledger.models import Charge, CreepAlert, Review
from tests.conftest import signed_in
from tests.ledger.reports_setup import START, cost, review

pytestmark = pytest.mark.django_db
LARGEST = "9999999999.99"
TOO_LARGE_WORDS = "Too large: at this rate it is more than 9,999,999,999.99 USD. Check the amount and the rate."


@pytest.mark.parametrize(
    ("amount", "rate", "words"),
    [
        ("5000000000.00", "1.99", None),
        ("5000000000.00", "2", TOO_LARGE_WORDS),
        ("100.00", "100000000", TOO_LARGE_WORDS),
        (LARGEST, "1", None),  # the household's own currency: its rate is 1
    ],
)
def test_an_amount_whose_household_value_does_not_fit_is_refused(amount, rate, words):
    currency = "USD" if rate == "1" else "JPY"
    charge = Charge(day=START, amount=Decimal(amount), currency=currency, rate=Decimal(rate))
    if words is None:
        services.charge_save(charge)
        assert Charge.objects.count() == 1
        return
    with pytest.raises(ValidationError) as caught:
        services.charge_save(charge)
    assert caught.value.message_dict == {"amount": [words]}
    assert not Charge.objects.exists()


@pytest.fixture
def huge():
    """Two subscriptions at the largest amount: a run rate of 19,999,999,999.98 a month."""
    cost("Data centre", LARGEST)
    cost("Second data centre", LARGEST)
    return Decimal("19999999999.98")


def test_the_bill_review_records_a_run_rate_wider_than_one_amount(client, alice, huge):
    response = signed_in(client, alice).post("/ledger/reviews/new/", {})
    assert response.status_code == 302
    assert Review.objects.get().baseline == huge


def test_a_creep_alert_and_mark_reviewed_keep_a_wide_run_rate(client, alice, huge):
    review("1")
    assert creep.check()
    alert = CreepAlert.objects.get(reason=CreepAlert.Reason.GROWTH)
    assert (alert.run_rate, alert.baseline) == (huge, Decimal(1))
    response = signed_in(client, alice).post("/ledger/creep/reviewed/")
    assert response.status_code == 302
    assert Review.objects.latest().baseline == huge
    assert reviews.creep_acknowledge(by=None) is None  # closed already
