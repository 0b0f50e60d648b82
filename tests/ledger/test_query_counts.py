"""Pages and checks whose number of queries must not grow with the ledger (bench/ledger.py
found each of these growing: a query per unassigned charge, one per price change)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.ledger import creep, explain, figures, reports, services
from apps.ledger.models import Charge, CostItem, ImportBatch, UsageEntry
from apps.ledger.views_charges import INLINE_ASSIGN
from apps.ledger.views_charges import PAGE_SIZE as CHARGES_A_PAGE
from apps.ledger.views_reviews import PAGE_SIZE
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
    # the first 20 get the select of every item in their row, the rest a link to their assign page
    assert page.count('<option value="">Choose a cost</option>') == INLINE_ASSIGN == 20
    assert page.count("<option value=") == (INLINE_ASSIGN + 1) * 6  # and the form that adds a charge
    links = {reverse("ledger:charge_assign", args=[charge.pk]) for charge in Charge.objects.filter(item__isnull=True)}
    linked = set(re.findall(r'<a href="([^"]+)">Choose its cost</a>', page))
    inline = set(re.findall(r'<form method="post" action="([^"]+)" class="ledger-assign">', page))
    assert (len(linked), len(inline)) == (11, 20)
    assert linked | inline == links


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


def test_one_items_months_are_its_lines_of_every_items_months_in_the_same_queries(django_assert_num_queries):
    today = date(2026, 5, 20)
    plan = cost("Plan", "12.00")
    cloud = CostItem.objects.create(name="Cloud", kind="usage", category="cloud_api", start=date(2025, 1, 1))
    for n in range(20):  # other items' prices and usage the item's page need not read
        services.price_set(cost(f"Other {n}", "5.00"), amount=Decimal("6.00"), since=date(2026, 1, 1))
    UsageEntry.objects.create(item=cloud, day=date(2026, 3, 4), amount=Decimal("3.30"), currency="EUR")
    UsageEntry.objects.create(item=cloud, day=date(2026, 5, 2), amount=Decimal("1.10"), currency="EUR")
    every = figures.trend(12, today=today)
    for item in (plan, cloud):
        with django_assert_num_queries(4):  # the item, its prices, its usage, the settings
            one = figures.trend(12, today=today, item_id=item.pk)
        assert {line.item.pk for month in one for line in month.lines} == {item.pk}
        assert [(m.month, m.total) for m in one] == [(m.month, m.amount_of(item.pk)) for m in every]
    rows = explain.expected_and_actual(cloud, today=today)
    assert [(row.month, row.expected) for row in rows][:3] == [
        (date(2026, 5, 1), Decimal("1.10")),
        (date(2026, 4, 1), Decimal(0)),
        (date(2026, 3, 1), Decimal("3.30")),
    ]


def test_the_reviews_page_shows_ten_reviews_a_page_in_the_same_queries(client, alice, django_assert_num_queries):
    netflix = cost("Netflix", "15.49")
    for n in range(25):
        made = review(f"{n}.00", created=timezone.now() - timedelta(days=100 * (25 - n)))
        made.items.create(item=netflix, item_name="Netflix", decision="keep")
    url = reverse("ledger:reviews")
    signed_in(client, alice)
    newest = client.get(url).content.decode()  # also warms what a process loads once (session, caches)
    first = queries(client, url)
    assert newest.count('class="card review"') == PAGE_SIZE == 10
    assert "Baseline 24.00" in newest and "Baseline 15.00" in newest and "Baseline 14.00" not in newest
    assert "?page=2" in newest and "Older reviews" in newest and "Newer reviews" not in newest
    assert queries(client, url + "?page=2") == first
    last = client.get(url + "?page=3").content.decode()
    assert last.count('class="card review"') == 5 and "Baseline 0.00" in last
    assert "?page=2" in last and "Newer reviews" in last and "Older reviews" not in last
    assert client.get(url + "?page=99").content.decode().count("Baseline 0.00") == 1  # past the end: the last
    assert "Baseline 24.00" in client.get(url + "?page=nope").content.decode()  # not a number: the first


def test_the_overview_computes_the_months_once_for_its_trend_total_and_categories(django_assert_num_queries):
    today = date(2026, 5, 20)
    cost("Netflix", "15.49")
    with CaptureQueriesContext(connection) as one_year:
        reports.overview(today=today)
    cost("Old router", "240.00", kind="one_off", start=date(2021, 6, 1), life_months=60)  # five years back
    with django_assert_num_queries(len(one_year)):
        o = reports.overview(today=today)
    assert o.trend[-1] is o.run_rate  # one list of months: the run rate is the trend's last
    assert o.tco_months == 60 and o.tco == 60 * Decimal(4) + 17 * Decimal("15.49")
    assert sum(share.amount for share in o.categories) == o.run_rate.total


def test_the_busy_charges_month_shows_a_hundred_a_page_with_the_whole_months_totals(client, alice):
    plan = cost("Plan", "5.00")
    month = date(2025, 5, 1)
    unassigned(230, month)
    assigned = Charge.objects.order_by("-day", "-pk").first()
    assert assigned is not None
    assigned.item = plan
    services.charge_save(assigned)
    Charge.objects.create(day=date(2025, 6, 1), amount=Decimal("1.00"), currency="USD")  # another month
    url = reverse("ledger:charges") + "?month=2025-05"
    signed_in(client, alice)
    pages = [client.get(f"{url}&page={n}").content.decode() for n in (1, 2, 3)]
    assert [page.count("<tr") - 1 for page in pages] == [CHARGES_A_PAGE, CHARGES_A_PAGE, 30] == [100, 100, 30]
    newest = pages[0]
    assert "Paid <strong>2,297.70" in newest.replace("paid", "Paid")  # 230 x 9.99: the whole month, on every page
    assert all("2,297.70" in page for page in pages)
    assert f'href="{url}&amp;page=2">Earlier charges' in newest and "Later charges" not in newest
    assert f'href="{url}&amp;page=1">← Later charges' in pages[1] and f'href="{url}&amp;page=3">Earlier' in pages[1]
    assert "Earlier charges" not in pages[2] and "Charges 201–230 of 230" in pages[2]
    # the links built from one reverse are the ones {% url %} would give
    assert f'href="{reverse("ledger:item", args=[plan.pk])}"' in newest
    assert f'href="{reverse("ledger:charge_edit", args=[assigned.pk])}">Edit' in newest
    oldest = Charge.objects.order_by("day", "pk").first()
    assert oldest is not None
    assert f'href="{reverse("ledger:charge_assign", args=[oldest.pk])}">Choose its cost' in pages[2]
    for bad, shown in (("nope", 0), ("0", 2), ("-1", 2), ("99", 2), ("", 0), ("1e9", 0)):
        response = client.get(f"{url}&page={bad}")
        assert response.status_code == 200
        assert response.content.decode().count("<tr") - 1 == [100, 100, 30][shown], bad


def test_the_overview_keeps_the_closed_months_and_gives_what_computing_gives(settings):
    today = date(2026, 5, 20)
    cost("Netflix", "15.49")
    cost("Old router", "240.00", kind="one_off", start=date(2021, 6, 1), life_months=60)
    fresh = reports.overview(today=today)  # computed, and the closed months kept
    with CaptureQueriesContext(connection) as captured:
        kept = reports.overview(today=today)
    assert kept == fresh and kept.tco == fresh.tco == 60 * Decimal(4) + 17 * Decimal("15.49")
    assert [month.total for month in kept.trend] == [month.total for month in figures.trend(12, today=today)]
    # the closed months came from the cache: only this month's rows were read
    assert not any("2021" in query["sql"] for query in captured.captured_queries)
    # a write (here a price change) retires them: the same as computing with the cache cleared
    services.price_set(CostItem.objects.get(name="Netflix"), amount=Decimal("20.00"), since=date(2025, 6, 1))
    changed = reports.overview(today=today)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    computed = reports.overview(today=today)
    assert changed == computed and changed.tco == computed.tco != fresh.tco
    assert changed.tco == 60 * Decimal(4) + 5 * Decimal("15.49") + 12 * Decimal("20.00")


def _five_years() -> None:
    cost("Netflix", "15.49")
    cost("Old router", "240.00", kind="one_off", start=date(2021, 6, 1), life_months=60)


def test_the_overview_keeps_its_months_in_redis_and_computes_when_redis_does_not_answer(settings, redis_server):
    from tests.fixtures.ports import free_port

    today = date(2026, 5, 20)
    _five_years()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    computed = reports.overview(today=today)
    settings.CACHES = {"default": {"BACKEND": "homeops.cache.ResilientRedisCache", "LOCATION": redis_server.url}}
    assert reports.overview(today=today) == computed  # computed, then kept
    assert reports.overview(today=today) == computed  # kept
    services.price_set(CostItem.objects.get(name="Netflix"), amount=Decimal("20.00"), since=date(2025, 6, 1))
    assert reports.overview(today=today).tco == computed.tco + 12 * (Decimal("20.00") - Decimal("15.49"))
    settings.CACHES = {
        "default": {"BACKEND": "homeops.cache.ResilientRedisCache", "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}
    }
    started = timezone.now()
    nowhere = reports.overview(today=today)
    assert nowhere.tco == computed.tco + 12 * (Decimal("20.00") - Decimal("15.49"))
    assert (timezone.now() - started).total_seconds() < 5  # the cache's timeouts bound the wait


@pytest.mark.django_db(transaction=True)
def test_a_write_retires_the_kept_months_again_after_its_commit():
    today = date(2026, 5, 20)
    _five_years()
    reports.overview(today=today)
    kept = reports._version()
    with transaction.atomic():
        services.price_set(CostItem.objects.get(name="Netflix"), amount=Decimal("20.00"), since=date(2025, 6, 1))
        services.item_end(CostItem.objects.get(name="Old router"), end=date(2025, 12, 31))
        during = reports._version()
        queued = [call for _, call, _ in connection.run_on_commit if call is reports.retire_closed_months]
        assert len(queued) == 1  # once per transaction, however many writes
    assert kept != during != reports._version()  # retired at the write and again at the commit
