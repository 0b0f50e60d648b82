"""Pages and checks whose number of queries must not grow with the ledger (bench/ledger.py
found each of these growing: a query per unassigned charge, one per price change)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.ledger import creep, figures, reports, services
from apps.ledger.models import Charge, CostItem, ImportBatch, UsageEntry
from tests.conftest import signed_in
from tests.ledger.reports_setup import cost, review

pytestmark = pytest.mark.django_db


def unassigned(count: int, month: date) -> None:
    batch = ImportBatch.objects.create(filename="bank.csv", content="")
    charges = [
        Charge(day=month + timedelta(days=n % 28), amount=Decimal("9.99"), currency="", description=f"CARD {n}")
        for n in range(count)
    ]
    services.charges_create(charges, batch=batch)


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_charges_page_asks_for_the_items_once_however_many_charges_wait_for_one(
    client, alice, django_assert_max_num_queries
):
    for n in range(5):
        cost(f"Plan {n}", "5.00")
    month = date(2025, 5, 1)
    url = reverse("ledger:charges") + "?month=2025-05"
    signed_in(client, alice)
    unassigned(1, month)
    one = queries(client, url)
    unassigned(30, month)
    with django_assert_max_num_queries(one):
        page = client.get(url).content.decode()
    assert page.count("Not assigned") == 31
    assert page.count('<option value="">Choose a cost</option>') == 31  # every form still lists every item
    assert page.count("<option value=") == 32 * 6  # and the form that adds a charge


def test_changes_since_a_review_name_each_price_before_in_the_same_queries_for_one_change_or_many(
    django_assert_num_queries,
):
    netflix = cost("Netflix", "15.49")
    last = review("15.49")
    services.price_set(netflix, amount=Decimal("16.49"), since=date(2026, 1, 1))
    with CaptureQueriesContext(connection) as one:
        reports.changes_since(last, run_rate=Decimal(0))
    services.price_set(netflix, amount=Decimal("17.49"), since=date(2026, 2, 1))
    for n in range(8):
        services.price_set(cost(f"Plan {n}", "5.00"), amount=Decimal("6.00"), since=date(2026, 1, 1) + timedelta(n))
    with django_assert_num_queries(len(one)):
        changes = reports.changes_since(last, run_rate=Decimal(0))
    named = [(c.item.name, c.before.amount if c.before else None, c.price.amount) for c in changes.price_changes]
    assert named[:2] == [
        ("Netflix", Decimal("15.49"), Decimal("16.49")),
        ("Netflix", Decimal("16.49"), Decimal("17.49")),  # the price before it, not the first
    ]
    assert named[2:] == [(f"Plan {n}", Decimal("5.00"), Decimal("6.00")) for n in range(8)]


def test_the_creep_check_reads_the_changes_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    last = review("10.00", created=timezone.now() - timedelta(days=1))
    assert last
    for n in range(10):
        services.price_set(cost(f"Plan {n}", "5.00"), amount=Decimal("6.00"), since=date(2026, 1, 1))
    # 13 to read (the lock, the review, the month's figures, the changes) and, per new
    # alert, its lookup, savepoint, insert and release; before: one more per price change.
    with django_assert_max_num_queries(13 + 4 * 21):
        opened = creep.check()
    assert len(opened) == 21  # growth, ten new items, ten price changes


@pytest.mark.parametrize(
    ("entries", "total"),
    [
        ([("10.0000", "1"), ("0.3333", "1")], Decimal("10.3333")),
        ([("10.0000", "1.08"), ("0.0001", "1.08"), ("5.0000", "1")], Decimal("15.800108")),
        ([("0.1000", "0.33333333")] * 3, Decimal("0.099999999")),
    ],
)
def test_usage_by_month_sums_each_rate_exactly_in_one_query(entries, total, django_assert_num_queries):
    item = CostItem.objects.create(name="Cloud", kind="usage", category="cloud_api", start=date(2025, 1, 1))
    for n, (amount, rate) in enumerate(entries):
        UsageEntry.objects.create(
            item=item, day=date(2025, 3, 1 + n), amount=Decimal(amount), currency="EUR", rate=Decimal(rate)
        )
    UsageEntry.objects.create(item=item, day=date(2025, 4, 1), amount=Decimal(7), currency="USD")
    with django_assert_num_queries(1):
        found = figures.usage_by_month(date(2025, 1, 1), date(2025, 12, 1))
    assert {key: usage.entered for key, usage in found.items()} == {
        (item.pk, date(2025, 3, 1)): total,
        (item.pk, date(2025, 4, 1)): Decimal(7),
    }
