"""The packed formats: round trips, sizes, and the day arithmetic around DST."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.status.packing import (
    Check,
    Figures,
    day_start,
    day_totals,
    hour_of,
    pack_checks,
    pack_hours,
    slot_hour,
    slot_of,
    summarise,
    unpack_checks,
    unpack_hours,
)

HOUR = datetime(2026, 11, 27, 14, tzinfo=UTC)


def test_an_hour_of_checks_round_trips_with_its_messages():
    checks = [
        Check(
            HOUR + timedelta(seconds=60 * m + 0.25), "up", 10.0 + m * 1.37, f"answered 200 in {10.0 + m * 1.37:.0f} ms"
        )
        for m in range(58)
    ]
    checks += [
        Check(HOUR + timedelta(minutes=58), "down", None, "refused the connection (Connection refused)"),
        Check(HOUR + timedelta(minutes=59, seconds=59), "unreachable", 2.5, "depends on NAS, which is down"),
    ]
    data, messages = pack_checks(HOUR, reversed(checks))  # any order in, time order out
    assert len(data) < 60 * 5  # mostly the float32 latencies: gaps and codes compress away
    # The latency in a message is stored once as a placeholder: one text for all 58 answers.
    assert json.loads(messages) == [
        "answered 200 in \0 ms",
        "refused the connection (Connection refused)",
        "depends on NAS, which is down",
    ]
    back = unpack_checks(HOUR, data, messages)
    assert [c.at for c in back] == [c.at.replace(microsecond=0) for c in checks]  # whole seconds
    assert [(c.outcome, c.message) for c in back] == [(c.outcome, c.message) for c in checks]
    assert [c.latency_ms for c in back] == [
        None if c.latency_ms is None else pytest.approx(c.latency_ms) for c in checks
    ]
    assert all(c.message == "" for c in unpack_checks(HOUR, data, None))


@pytest.mark.parametrize(
    ("latency", "message"),
    [
        (200.0, "answered 200 in 200 ms"),  # the status code looks like the latency
        (0.4, "answered 200 in 10 ms"),  # "0 ms" is inside "10 ms"
        (20.5, "slow: answered in 20 ms (over 20 ms)"),
        (7.0, "a message with \0 in it"),  # NUL cannot reach Postgres: dropped
        (None, "port 22: no answer"),
        (12.0, ""),
    ],
)
def test_any_message_comes_back_as_it_was(latency, message):
    data, messages = pack_checks(HOUR, [Check(HOUR, "up", latency, message)])
    assert unpack_checks(HOUR, data, messages)[0].message == message.replace("\0", "")


def test_hourly_figures_round_trip_at_float16_precision():
    hours = [
        Figures(60, 0, 0, 20.12, 48.3, 130.0),
        None,
        Figures(50, 4, 6, 0.8, 2.5, 120_000.0),  # a check timing out after 120 s
        Figures(0, 0, 3, None, None, None),
        Figures(70_000, 0, 0, 1.0, 1.0, 1.0),  # more checks than a slot holds: capped
    ]
    back = unpack_hours(pack_hours(hours))
    assert back[1] is None and back[3] == hours[3]
    assert back[4].up == 0xFFFF
    for before, after in ((hours[0], back[0]), (hours[2], back[2])):
        assert after[:3] == before[:3]
        assert after[3:] == pytest.approx(before[3:], rel=1e-3)
    assert unpack_hours(None) == unpack_hours(b"") == unpack_hours(pack_hours([])) == []
    steady = pack_hours([Figures(60, 0, 0, 20.0, 48.0, 130.0)] * 24)
    assert len(steady) < 40 and unpack_hours(steady) == [Figures(60, 0, 0, 20.0, 48.0, 130.0)] * 24


def test_summaries_of_an_hour_and_of_a_day():
    checks = [Check(HOUR, "up", float(ms), "") for ms in range(10, 101, 10)]
    checks += [Check(HOUR, "degraded", 500.0, ""), Check(HOUR, "unreachable", None, ""), Check(HOUR, "down", 1.0, "")]
    hour = summarise(checks)
    assert (hour.up, hour.degraded, hour.down, hour.max_ms) == (10, 1, 2, 500.0)
    day = day_totals([hour, None, Figures(5, 0, 0, 12.0, 900.0, 950.0)])
    assert (day.up, day.degraded, day.down, day.p95_ms, day.max_ms) == (15, 1, 2, 900.0, 950.0)
    assert day_totals([None]) == Figures(0, 0, 0, None, None, None)


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("UTC", datetime(2026, 3, 29), 24),
        ("Europe/Berlin", datetime(2026, 3, 29), 23),  # clocks go forward
        ("Europe/Berlin", datetime(2026, 10, 25), 25),  # and back
        ("Asia/Kolkata", datetime(2026, 3, 29), 24),  # half an hour off UTC
    ],
)
def test_each_utc_hour_has_one_slot_in_its_local_day(settings, zone, day, hours):
    settings.TIME_ZONE = zone
    start = day_start(timezone.make_aware(day + timedelta(hours=12)))
    assert timezone.localtime(start).replace(tzinfo=None) == day
    slots = []
    hour = hour_of(start)
    while day_start(hour) <= start:  # every UTC hour that begins on that local day
        if day_start(hour) == start:
            slots.append(slot_of(hour, start))
            assert slot_hour(start, slots[-1]) == hour
        hour += timedelta(hours=1)
    assert slots == list(range(hours))
