"""Rollups and pruning through the real database: raw results packed by the hour, hourly
figures in day rows, and every reader of history on top of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.status import history, metrics, rollups, selectors
from apps.status.models import Kind, Result, ResultHour, Rollup, Service, State
from apps.status.packing import day_start, hour_of, slot_hour, slot_of, unpack_hours
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return Service.objects.create(name="web", label="Web", kind=Kind.HTTP, check_config={"url": "http://x"})


@pytest.fixture
def now(settings):
    settings.STATUS_RAW_HOURS = 48
    settings.STATUS_HOURLY_DAYS = 400
    return timezone.now().replace(minute=30, second=0, microsecond=0)


def results(service: Service, now, minutes: int) -> list[Result]:
    """A result a minute for `minutes` up to `now`: 1 in 10 down, latency 10..100 ms."""
    rows = [
        Result(
            service=service,
            at=now - timedelta(minutes=m),
            outcome=State.DOWN if m % 10 == 0 else State.UP,
            latency_ms=None if m % 10 == 0 else 10 + (m % 10) * 10,
            message="refused" if m % 10 == 0 else f"answered 200 in {10 + (m % 10) * 10} ms",
        )
        for m in range(minutes)
    ]
    return Result.objects.bulk_create(rows)


def snapshot() -> tuple:
    packed = list(ResultHour.objects.order_by("service", "hour").values_list("service", "hour", "checks", "messages"))
    days = list(Rollup.objects.order_by("service", "start").values_list())
    return [(s, h, bytes(c), m) for s, h, c, m in packed], [(*row[:-1], bytes(row[-1] or b"")) for row in days]


def test_complete_hours_are_packed_rolled_up_and_pruned(web, now):
    results(web, now, 60 * 60)  # 60 hours
    rollups.rollup_and_prune(now=now)
    # Raw results: 48 packed hours (the oldest partly inside the window) and the current hour.
    hours = list(ResultHour.objects.filter(service=web).order_by("hour").values_list("hour", flat=True))
    assert len(hours) == 48 and hours[0] == hour_of(now - timedelta(hours=48))
    assert Result.objects.filter(service=web).count() == 31  # hh:00 to hh:30
    assert not Result.objects.filter(at__lt=hour_of(now)).exists()
    # Every complete hour is rolled up, including those whose raw results are pruned now.
    figures = {}
    for row in Rollup.objects.filter(service=web):
        for index, hour in enumerate(unpack_hours(row.hours)):
            if hour is not None:
                figures[slot_hour(row.start, index)] = hour
    assert len(figures) == 60  # 59 complete hours and the partial oldest one
    full = figures[hour_of(now) - timedelta(hours=5)]
    assert (full.up, full.degraded, full.down) == (54, 0, 6)
    assert full.p50_ms == pytest.approx(60, rel=1e-3) and full.max_ms == pytest.approx(100, rel=1e-3)
    # Day totals are the sums of their hours.
    for row in Rollup.objects.filter(service=web):
        day = [h for h in unpack_hours(row.hours) if h]
        assert row.up == sum(h.up for h in day) and row.down == sum(h.down for h in day)


def test_a_second_run_changes_nothing_and_a_late_result_joins_its_hour(web, now):
    results(web, now, 5 * 60)
    rollups.rollup_and_prune(now=now)
    before = snapshot()
    rollups.rollup_and_prune(now=now)  # a retried or doubled run
    assert snapshot() == before

    hour = hour_of(now) - timedelta(hours=2)
    Result.objects.create(service=web, at=hour + timedelta(seconds=90), outcome=State.DEGRADED, latency_ms=900)
    rollups.rollup_and_prune(now=now + timedelta(minutes=5))
    checks = history.checks([web.pk], since=hour, until=hour + timedelta(hours=1))[web.pk]
    assert len(checks) == 61 and checks[2].outcome == State.DEGRADED
    row = Rollup.objects.get(service=web, start=day_start(hour))
    figures = unpack_hours(row.hours)[slot_of(hour, row.start)]
    assert (figures.up, figures.degraded, figures.down) == (54, 1, 6)
    assert figures.max_ms == pytest.approx(900, rel=1e-3)
    assert row.degraded == 1


def test_pruning_keeps_day_totals_and_drops_old_hours(web, now, settings):
    settings.STATUS_HOURLY_DAYS = 7
    for days_ago in (3, 9, 30):
        results(web, day_start(now) - timedelta(days=days_ago, hours=-12), 90)  # around noon
    rollups.rollup_and_prune(now=now)
    assert not ResultHour.objects.filter(hour__lt=now - timedelta(hours=49)).exists()
    days = {(day_start(now) - row.start).days: row for row in Rollup.objects.filter(service=web)}
    assert sorted(days) == [3, 9, 30]
    assert days[3].hours is not None and days[9].hours is None and days[30].hours is None
    assert days[30].up + days[30].down == 90  # totals kept forever
    assert rollups.prune(now=now) == (0, 0)  # nothing left to prune


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])  # days that start at half past a UTC hour
def test_uptime_counts_each_check_once_across_rollups_and_raw(web, now, settings, zone):
    settings.TIME_ZONE = zone
    results(web, now, 60 * 60)
    expected = {  # the checks of each window, from the raw data
        hours: Result.objects.filter(service=web, at__gte=now - timedelta(hours=hours)).count() for hours in (2, 24, 47)
    }
    rollups.rollup_and_prune(now=now)
    for hours, n in expected.items():
        up, degraded, down = history.counts([web.pk], since=now - timedelta(hours=hours), now=now)[web.pk]
        assert up + degraded + down == n
    # Before the raw window: whole hours only, all 60 of them here.
    up, degraded, down = history.counts([web.pk], since=now - timedelta(days=7), now=now)[web.pk]
    assert (up, down) == (3240, 360)
    assert selectors.uptime([web.pk], since=now - timedelta(days=7), now=now)[web.pk] == pytest.approx(0.9)
    assert selectors.uptime([web.pk], since=now - timedelta(days=7), now=now) == selectors.uptime(
        [web.pk], since=now - timedelta(days=7) + timedelta(minutes=15), now=now
    )


def test_uptime_is_none_without_checks(web):
    assert selectors.uptime([web.pk], since=timezone.now() - timedelta(days=1), now=timezone.now()) == {}


def test_sparklines_and_the_service_page_read_packed_and_unpacked_results(client, bob, web, now):
    results(web, now, 3 * 60)
    lines_before = selectors.sparklines([web.pk], now=now)
    chart_before = selectors.sparkline_points(web.pk, now=now, hours=48, buckets=96)
    rollups.rollup_and_prune(now=now)
    assert ResultHour.objects.filter(service=web).count() == 3
    assert selectors.sparklines([web.pk], now=now) == lines_before
    assert selectors.sparkline_points(web.pk, now=now, hours=48, buckets=96) == chart_before
    assert lines_before[web.pk][-7:] == [None] + [60.0] * 6

    last = history.last_checks(web.pk, limit=40)
    assert len(last) == 40 and [c.at for c in last] == sorted((c.at for c in last), reverse=True)
    assert last[35].message == "answered 200 in 60 ms"  # 35 minutes ago: from a packed hour
    Result.objects.filter(service=web).delete()
    html = signed_in(client, bob).get(reverse("status:service", args=["web"])).content.decode()
    assert "answered 200 in 20 ms" in html and '<td data-label="Outcome">Down</td>' in html


def test_metrics_count_checks_in_the_raw_window(web, now, settings, client):
    settings.METRICS_TOKEN = "t0ken"
    results(web, timezone.now(), 3 * 60)
    rollups.rollup_and_prune()
    text = client.get("/metrics", headers={"Authorization": "Bearer t0ken"}).content.decode()
    assert 'homeops_checks{service="web",host="",kind="http",outcome="up"} 162' in text
    assert 'homeops_checks{service="web",host="",kind="http",outcome="down"} 18' in text
    assert metrics.render() == text


def test_deleting_a_service_deletes_its_history(web, now):
    results(web, now, 3 * 60)
    rollups.rollup_and_prune(now=now)
    web.delete()
    assert not (Result.objects.exists() or ResultHour.objects.exists() or Rollup.objects.exists())
