"""Keep history bounded. Every hour: pack each complete hour of raw results into one row per
service-hour, write that hour's figures into the service's day row (whose totals are the daily
rollup), then prune packed hours after STATUS_RAW_HOURS and hourly figures after
STATUS_HOURLY_DAYS. Day totals are kept forever.

A run packs only what is still unpacked and merges it into what is packed already, so a retried
or doubled run is harmless and a result that commits late joins its hour on the next run.
A packed hour is always rolled up and an unpacked result never is: history.counts relies on it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from apps.status.models import Result, ResultHour, Rollup
from apps.status.packing import (
    HOUR,
    Check,
    Figures,
    day_start,
    day_totals,
    hour_of,
    pack_checks,
    pack_hours,
    slot_of,
    summarise,
    unpack_checks,
    unpack_hours,
)

LOCK_KEY = 0x5354_524F  # pg_advisory_xact_lock: one rollup at a time ("STRO")


def rollup_hours(*, now: datetime) -> int:
    """Pack every complete hour still held as raw results and roll it up. Returns the
    service-hours written. One hour at a time, so a backlog (the beat was down) stays small."""
    cut = hour_of(now)
    figures: dict[tuple[int, datetime], Figures] = {}
    while first := Result.objects.filter(at__lt=cut).aggregate(first=Min("at"))["first"]:
        hour = hour_of(first)
        rows = Result.objects.filter(at__gte=hour, at__lt=hour + HOUR).values_list(
            "pk", "service_id", "at", "outcome", "latency_ms", "message"
        )
        by_service: dict[int, list[Check]] = defaultdict(list)
        pks = []
        for pk, service_id, at, outcome, latency, message in rows:
            by_service[service_id].append(Check(at, outcome, latency, message))
            pks.append(pk)
        for service_id, checks in _pack(hour, by_service).items():
            figures[(service_id, hour)] = summarise(checks)
        for i in range(0, len(pks), 500):  # SQLite caps the parameters of one statement
            Result.objects.filter(pk__in=pks[i : i + 500]).delete()
    _write_days(figures)
    return len(figures)


def _pack(hour: datetime, by_service: dict[int, list[Check]]) -> dict[int, list[Check]]:
    """Add the new checks to their packed hours; returns each hour's checks, old and new."""
    packed = ResultHour.objects.filter(hour=hour, service_id__in=list(by_service))
    for service_id, data, messages in packed.values_list("service_id", "checks", "messages"):
        by_service[service_id] += unpack_checks(hour, data, messages)
    rows = []
    for service_id, checks in by_service.items():
        data, messages = pack_checks(hour, checks)
        rows.append(ResultHour(service_id=service_id, hour=hour, checks=data, messages=messages))
    ResultHour.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["service", "hour"], update_fields=["checks", "messages"]
    )
    return by_service


def _write_days(figures: dict[tuple[int, datetime], Figures]) -> None:
    """Put hours' figures into their day rows and recompute those days' totals."""
    days: dict[tuple[int, datetime], dict[int, Figures]] = defaultdict(dict)
    for (service_id, hour), hour_figures in figures.items():
        start = day_start(hour)
        days[(service_id, start)][slot_of(hour, start)] = hour_figures
    if not days:
        return
    existing = Rollup.objects.filter(
        service_id__in={key[0] for key in days}, start__in={key[1] for key in days}
    ).values_list("service_id", "start", "hours")
    held = {(service_id, start): hours for service_id, start, hours in existing}
    rows = []
    for (service_id, start), slots in days.items():
        if (service_id, start) in held and held[(service_id, start)] is None:
            continue  # a day past STATUS_HOURLY_DAYS keeps its totals; its hours are gone
        hours = unpack_hours(held.get((service_id, start)))
        for index, hour_figures in slots.items():
            hours += [None] * (index + 1 - len(hours))
            hours[index] = hour_figures
        rows.append(Rollup(service_id=service_id, start=start, hours=pack_hours(hours), **day_totals(hours)._asdict()))
    Rollup.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["service", "start"],
        update_fields=["up", "degraded", "down", "p50_ms", "p95_ms", "max_ms", "hours"],
    )


def prune(*, now: datetime) -> tuple[int, int]:
    """Drop packed hours wholly older than STATUS_RAW_HOURS, and the hourly figures of days
    wholly older than STATUS_HOURLY_DAYS. Returns (hours dropped, days emptied)."""
    raw, _ = ResultHour.objects.filter(hour__lte=now - timedelta(hours=settings.STATUS_RAW_HOURS) - HOUR).delete()
    days = Rollup.objects.filter(
        start__lt=now - timedelta(days=settings.STATUS_HOURLY_DAYS + 1), hours__isnull=False
    ).update(hours=None)
    return raw, days


def rollup_and_prune(*, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":  # SQLite's IMMEDIATE transactions already queue
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        rollup_hours(now=now)
        prune(now=now)
