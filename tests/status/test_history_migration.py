"""Migration 0004 keeps an installed instance's history: one row per hour and per day, and one
per raw result, become packed rows, and back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.status import history, rollups
from apps.status.models import Result, Rollup
from apps.status.packing import unpack_hours

BEFORE = [("status", "0003_heartbeat_min_duration")]
NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)  # the upgrade
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps(transactional_db, settings):
    settings.TIME_ZONE = "UTC"
    settings.STATUS_RAW_HOURS = 48
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        yield migrate(BEFORE)
    finally:
        migrate(latest)


def old_history(apps) -> dict[str, int]:
    Service = apps.get_model("status", "Service")
    OldResult = apps.get_model("status", "Result")
    OldRollup = apps.get_model("status", "Rollup")
    old = Service.objects.create(name="old", label="Old", kind="http", check_config={})
    gone = Service.objects.create(name="gone", label="Gone", kind="http", check_config={})
    new = Service.objects.create(name="new", label="New", kind="tcp", check_config={})
    midnight = datetime(2026, 11, 17, tzinfo=UTC)
    for day in range(3):  # daily rows for the complete days; the old rollup never wrote today's
        start = midnight + day * DAY
        OldRollup.objects.create(service=old, period="day", start=start, up=1000 + day, down=7, p50_ms=11, p95_ms=99)
    hour = midnight
    while hour < NOW - HOUR:  # hourly rows up to 09:00
        OldRollup.objects.create(service=old, period="hour", start=hour, up=59, down=1, p50_ms=12.5, max_ms=80)
        hour += HOUR
    OldRollup.objects.create(service=gone, period="day", start=midnight - 500 * DAY, up=1440)
    # Raw results since 07:30: the 07:00 hour is partly pruned already.
    at = NOW - timedelta(hours=3)
    while at <= NOW:
        OldResult.objects.create(service=old, at=at, outcome="up", latency_ms=20, message="answered 200 in 20 ms")
        at += timedelta(minutes=1)
    for minute in range(20):
        OldResult.objects.create(service=new, at=NOW - timedelta(minutes=minute), outcome="down", message="refused")
    return {"old": old.pk, "gone": gone.pk, "new": new.pk}


def test_an_upgrade_keeps_history_and_a_downgrade_restores_it(old_apps):
    ids = old_history(old_apps)
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    old, gone, new = ids["old"], ids["gone"], ids["new"]

    days = {row.start.day: row for row in Rollup.objects.filter(service_id=old)}
    assert sorted(days) == [17, 18, 19, 20]
    assert (days[17].up, days[17].down, days[17].p95_ms) == (1000, 7, 99)  # the daily rows' totals
    assert [h.up for h in unpack_hours(days[18].hours)] == [59] * 24
    # Today: 07:00 keeps its hourly row, 08:00 and 09:00 come back from their raw results.
    assert [h.up for h in unpack_hours(days[20].hours)] == [59] * 8
    assert (days[20].up, days[20].down) == (8 * 59, 8)
    assert Result.objects.filter(service_id=old).count() == 151  # 08:00 to 10:30
    assert Result.objects.filter(service_id=new).count() == 20
    assert Rollup.objects.get(service_id=gone).hours is None

    since = datetime(2026, 11, 20, tzinfo=UTC)
    before = history.counts([old, new], since=since, now=NOW)
    assert before == {old: (8 * 59 + 151, 0, 8), new: (0, 0, 20)}
    rollups.rollup_and_prune(now=NOW)
    assert history.counts([old, new], since=since, now=NOW) == before
    assert [h.up for h in unpack_hours(Rollup.objects.get(service_id=old, start=since).hours)] == [59] * 8 + [60, 60]

    apps = migrate(BEFORE)
    OldRollup, OldResult = apps.get_model("status", "Rollup"), apps.get_model("status", "Result")
    assert OldRollup.objects.filter(service_id=old, period="hour").count() == 3 * 24 + 10
    assert OldRollup.objects.get(service_id=old, period="hour", start=NOW.replace(minute=0) - HOUR).up == 60
    assert OldRollup.objects.get(service_id=old, period="day", start=since - 2 * DAY).up == 1001
    assert OldResult.objects.filter(service_id=old).count() == 151
    assert OldResult.objects.filter(service_id=old, at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC)).get().message == (
        "answered 200 in 20 ms"
    )
