"""Cloud token spend from real audit rows: exact amounts, reruns, unpaid backends, the
household's day boundaries, the morning catch-up and who used the paid fallback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from apps.gateway.models import AuditEntry, Backend, Endpoint
from apps.ledger import tokens
from apps.ledger.models import Category, CostItem, Kind, LedgerSettings, UsageEntry
from homeops.settings import household_clock_in_utc
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    LedgerSettings.objects.update_or_create(pk=1, defaults={"currency": "EUR"})


@pytest.fixture
def cloud(db):
    return Backend.objects.create(
        name="cloud",
        kind="openai",
        base_url="https://api.openai.com/v1",
        price_input_per_m=D("0.15"),
        price_output_per_m=D("0.60"),
    )


@pytest.fixture
def studio(db):
    return Backend.objects.create(name="studio", kind="ollama", base_url="http://studio.home.arpa:11434")


def used(backend: str, at: datetime, prompt: int, completion: int, *, member=None, status: int = 200) -> AuditEntry:
    return AuditEntry.objects.create(
        created=at,
        member=member,
        endpoint=Endpoint.CHAT,
        alias="assistant",
        backend=backend,
        model="gpt-4o-mini",
        fallback=True,
        status=status,
        prompt_tokens=prompt,
        completion_tokens=completion,
    )


def berlin_time(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def token_rows() -> list[tuple[str, date, Decimal, int, int]]:
    return [
        (e.item.name, e.day, e.amount, e.prompt_tokens, e.completion_tokens)
        for e in UsageEntry.objects.filter(source=UsageEntry.Source.TOKENS).select_related("item").order_by("day")
    ]


DAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("prompt", "completion", "price_in", "price_out", "exact", "stored"),
    [
        (1_000_000, 500_000, "0.15", "0.60", "0.45", "0.4500"),
        (1_200_000, 600_000, "0.15", "0.60", "0.54", "0.5400"),
        (1234, 5678, "0.15", "0.60", "0.0035919", "0.0036"),
        (0, 2_000_000, "0.15", "0.60", "1.20", "1.2000"),
        (3_000_000, 0, "2.50", None, "7.50", "7.5000"),
        (50, 50, "0.0001", "0.0001", "0.00000001", "0.0000"),
        (0, 0, "0.15", "0.60", "0", "0.0000"),
    ],
)
def test_tokens_cost_their_prices_per_million(prompt, completion, price_in, price_out, exact, stored):
    backend = Backend.objects.create(
        name="paid",
        base_url="https://api.example.com/v1",
        price_input_per_m=D(price_in),
        price_output_per_m=D(price_out) if price_out else None,
    )
    assert tokens.token_cost(backend, prompt, completion) == D(exact)
    LedgerSettings.objects.update(currency="EUR")
    if prompt or completion:
        used("paid", berlin_time(DAY, 12), prompt, completion)
    (entry,) = tokens.count_day(DAY)
    assert (entry.amount, entry.currency, entry.rate) == (D(stored), "EUR", D(1))
    entry.refresh_from_db()
    assert entry.amount == D(stored)


def test_a_day_of_audit_rows_becomes_one_usage_entry_on_the_cloud_item(cloud, alice, bob):
    used("cloud", berlin_time(DAY, 9), 1_000_000, 500_000, member=alice)
    used("cloud", berlin_time(DAY, 21), 200_000, 100_000, member=bob)
    used("cloud", berlin_time(DAY, 22), 0, 0, member=bob, status=502)  # refused: costs nothing, counts nothing

    tokens.count_day(DAY)

    item = CostItem.objects.get(backend=cloud)
    assert (item.name, item.category, item.kind, item.start) == (
        "Cloud API: cloud",
        Category.CLOUD_API,
        Kind.USAGE,
        DAY,
    )
    assert token_rows() == [("Cloud API: cloud", DAY, D("0.5400"), 1_200_000, 600_000)]
    entry = UsageEntry.objects.get()
    assert (entry.currency, entry.rate, entry.household_amount) == ("EUR", D(1), D("0.54"))


def test_counting_a_day_again_replaces_its_row(cloud):
    used("cloud", berlin_time(DAY, 9), 1_000_000, 0)
    tokens.count_day(DAY)
    tokens.count_day(DAY)
    assert token_rows() == [("Cloud API: cloud", DAY, D("0.1500"), 1_000_000, 0)]

    used("cloud", berlin_time(DAY, 23, 59), 0, 1_000_000)  # written late, counted on a rerun
    tokens.count_day(DAY)
    assert token_rows() == [("Cloud API: cloud", DAY, D("0.7500"), 1_000_000, 1_000_000)]
    assert CostItem.objects.count() == 1


def test_unpaid_backends_are_ignored(cloud, studio):
    Backend.objects.create(
        name="zero", base_url="http://x", price_input_per_m=D(0), price_output_per_m=D(0)
    )  # prices of nothing: not paid
    used("studio", berlin_time(DAY, 9), 5_000_000, 5_000_000)
    used("zero", berlin_time(DAY, 9), 5_000_000, 5_000_000)
    used("cloud", berlin_time(DAY, 10), 100_000, 0)

    tokens.count_day(DAY)

    assert token_rows() == [("Cloud API: cloud", DAY, D("0.0150"), 100_000, 0)]
    assert list(CostItem.objects.values_list("backend__name", flat=True)) == ["cloud"]


def test_without_a_paid_backend_nothing_is_written(studio):
    used("studio", berlin_time(DAY, 9), 5_000_000, 5_000_000)
    assert tokens.count_day(DAY) == []
    assert tokens.count_since_last(today=DAY + timedelta(days=1)) == []
    assert not CostItem.objects.exists() and not UsageEntry.objects.exists()


def test_a_quiet_day_writes_a_zero_row_that_says_it_was_counted(cloud):
    tokens.count_day(DAY)
    assert token_rows() == [("Cloud API: cloud", DAY, D("0.0000"), 0, 0)]


def test_days_end_at_the_household_midnight_not_utc(cloud):
    # Berlin is UTC+1 in early March: 23:30 UTC on the 9th is 00:30 on the 10th there.
    used("cloud", datetime(2026, 3, 9, 22, 59, tzinfo=UTC), 1, 0)  # 23:59 on the 9th: not the 10th
    used("cloud", datetime(2026, 3, 9, 23, 0, tzinfo=UTC), 10, 0)  # midnight: the 10th
    used("cloud", datetime(2026, 3, 10, 22, 59, tzinfo=UTC), 100, 0)  # 23:59 on the 10th
    used("cloud", datetime(2026, 3, 10, 23, 0, tzinfo=UTC), 1000, 0)  # midnight: the 11th
    tokens.count_day(DAY)
    assert UsageEntry.objects.get(day=DAY).prompt_tokens == 110


def test_the_day_clocks_go_forward_has_23_hours(cloud):
    day = date(2026, 3, 29)  # CET to CEST at 02:00
    used("cloud", datetime(2026, 3, 28, 23, 0, tzinfo=UTC), 1, 0)  # 00:00 CET on the 29th
    used("cloud", datetime(2026, 3, 29, 21, 59, tzinfo=UTC), 10, 0)  # 23:59 CEST on the 29th
    used("cloud", datetime(2026, 3, 29, 22, 0, tzinfo=UTC), 100, 0)  # 00:00 CEST on the 30th
    tokens.count_day(day)
    assert UsageEntry.objects.get(day=day).prompt_tokens == 11


def test_an_item_counted_for_an_earlier_day_starts_then(cloud):
    tokens.count_day(DAY)
    tokens.count_day(DAY - timedelta(days=3))
    assert CostItem.objects.get().start == DAY - timedelta(days=3)


def test_an_owner_item_with_the_name_already_is_left_alone(cloud):
    mine = CostItem.objects.create(name="Cloud API: cloud", category=Category.SUBSCRIPTION, start=DAY)
    tokens.count_day(DAY)
    assert CostItem.objects.get(backend=cloud).name == "Cloud API: cloud (2)"
    assert not mine.usage.exists()


# --- the morning catch-up ------------------------------------------------------------------------


def test_the_catch_up_counts_every_finished_day_since_the_first_use_then_nothing(cloud):
    today = date(2026, 3, 12)
    used("cloud", berlin_time(date(2026, 3, 8), 20), 1_000_000, 0)
    used("cloud", berlin_time(today, 8), 9_000_000, 0)  # today is not over: not counted yet

    assert tokens.count_since_last(today=today) == [date(2026, 3, d) for d in (8, 9, 10, 11)]
    assert [(day, amount) for _, day, amount, _, _ in token_rows()] == [
        (date(2026, 3, 8), D("0.1500")),
        (date(2026, 3, 9), D("0.0000")),
        (date(2026, 3, 10), D("0.0000")),
        (date(2026, 3, 11), D("0.0000")),
    ]
    assert tokens.count_since_last(today=today) == []  # a second beat, or a retried task
    assert UsageEntry.objects.count() == 4

    # The next morning counts the day that was running.
    assert tokens.count_since_last(today=today + timedelta(days=1)) == [today]
    assert UsageEntry.objects.get(day=today).amount == D("1.3500")


def test_the_catch_up_goes_on_from_the_newest_counted_day(cloud):
    tokens.count_day(date(2026, 3, 1))
    assert tokens.days_to_count(today=date(2026, 3, 5)) == [date(2026, 3, d) for d in (2, 3, 4)]


def test_the_catch_up_takes_a_month_a_run_and_goes_on_the_next(cloud):
    today = date(2026, 6, 1)
    used("cloud", berlin_time(today - timedelta(days=100), 12), 1, 1)
    first = tokens.count_since_last(today=today)
    assert len(first) == tokens.CATCH_UP_DAYS == 31
    assert first[0] == today - timedelta(days=100)
    second = tokens.count_since_last(today=today)
    assert second[0] == first[-1] + timedelta(days=1) and len(second) == 31


def test_the_catch_up_never_reaches_before_the_audit_retention(cloud, settings):
    settings.GATEWAY_AUDIT_DAYS = 5
    today = date(2026, 6, 1)
    used("cloud", berlin_time(today - timedelta(days=20), 12), 1, 1)
    assert tokens.days_to_count(today=today) == [today - timedelta(days=n) for n in (5, 4, 3, 2, 1)]


def test_the_catch_up_has_nothing_to_do_when_no_paid_backend_was_ever_used(cloud, studio):
    used("studio", berlin_time(DAY, 12), 100, 100)
    assert tokens.days_to_count(today=DAY + timedelta(days=2)) == []


def test_beat_counts_every_morning_in_the_household_zone():
    entry = django_settings.CELERY_BEAT_SCHEDULE["ledger-count-tokens"]
    assert entry["task"] == "ledger.count_tokens"
    assert entry["options"]["expires"] > 0
    assert household_clock_in_utc(4, 20, "Asia/Kolkata") == (22, 50)  # UTC+5:30 all year
    assert household_clock_in_utc(4, 20, "UTC") == (4, 20)


# --- who used the paid fallback -------------------------------------------------------------------


def test_this_months_cloud_spend_per_member(cloud, studio, alice, bob):
    today = date(2026, 3, 20)
    other = Backend.objects.create(
        name="claude", base_url="https://api.example.com/v1", price_input_per_m=D(3), price_output_per_m=D(15)
    )
    used("cloud", berlin_time(date(2026, 3, 1), 0, 5), 1_000_000, 1_000_000, member=bob)  # 0.75
    used("claude", berlin_time(today, 9), 100_000, 10_000, member=bob)  # 0.30 + 0.15, today counts
    used("cloud", berlin_time(date(2026, 3, 2), 10), 2_000_000, 0, member=alice)  # 0.30
    used("cloud", berlin_time(date(2026, 2, 28), 23, 59), 9_000_000, 9_000_000, member=alice)  # February
    used("studio", berlin_time(date(2026, 3, 2), 10), 9_000_000, 9_000_000, member=alice)  # free
    used("cloud", berlin_time(date(2026, 3, 3), 10), 0, 100_000)  # a member since removed: 0.06

    spends = tokens.cloud_spend_by_member(today=today)

    assert [(s.name, s.member_id, s.prompt_tokens, s.completion_tokens, s.amount) for s in spends] == [
        ("bob", bob.pk, 1_100_000, 1_010_000, D("1.20")),
        ("alice", alice.pk, 2_000_000, 0, D("0.30")),
        ("(removed member)", None, 0, 100_000, D("0.06")),
    ]
    assert other.is_paid
    february = tokens.cloud_spend_by_member(month=date(2026, 2, 1), today=today)
    assert [(s.name, s.amount) for s in february] == [("alice", D("6.75"))]


def test_no_paid_backend_means_no_spend(studio, alice):
    used("studio", berlin_time(DAY, 12), 100, 100, member=alice)
    assert tokens.cloud_spend_by_member(today=DAY) == []


def test_the_cloud_items_page_and_the_overview_show_who_used_it_this_month(client, cloud, studio, alice, bob):
    now = timezone.now()
    used("cloud", now, 1_000_000, 1_000_000, member=bob)  # 0.15 + 0.60
    used("cloud", now, 2_000_000, 0, member=alice)  # 0.30
    used("studio", now, 9_000_000, 9_000_000, member=alice)  # free: not the cloud's
    item = tokens.cloud_item(cloud, day=timezone.localdate())
    free = CostItem.objects.create(name="Cloud API: studio", kind=Kind.USAGE, start=item.start, backend=studio)
    signed_in(client, alice)

    page = client.get(reverse("ledger:item", args=[item.pk])).content.decode()
    members = page[page.index("Who used it this month") : page.index("Charges")]
    assert members.index("bob") < members.index("alice")  # most spent first
    assert "1,000,000" in members and "2,000,000" in members and "0.75" in members and "0.30" in members

    other = client.get(reverse("ledger:item", args=[free.pk])).content.decode()
    assert "Nobody has used studio this month (it has no price per million tokens" in other

    overview = client.get(reverse("ledger:index")).content.decode()
    by_category = overview[overview.index("By category") : overview.index("The biggest items")]
    assert "Cloud API: who used it this month" in by_category
    assert by_category.index("bob") < by_category.index("0.75") < by_category.index("alice")


def test_the_overview_leaves_members_out_when_nobody_used_a_paid_backend(client, cloud, alice):
    CostItem.objects.create(name="Domain", kind=Kind.RECURRING, start=timezone.localdate())
    page = signed_in(client, alice).get(reverse("ledger:index")).content.decode()
    assert "who used it this month" not in page
