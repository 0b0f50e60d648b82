"""Keep history bounded: hourly rollups of raw results, daily rollups of hours, pruning.

Idempotent (upsert by service, period and start), so a retried or doubled run is harmless.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.status.models import Result, Rollup, State


def _percentile(sorted_values: list[float], share: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def rollup_hours(*, now: datetime) -> int:
    """Roll up every complete hour still held as raw results. Returns rows written."""
    end = _hour(now)
    start = _hour(now - timedelta(hours=settings.STATUS_RAW_HOURS))
    buckets: dict[tuple[int, datetime], dict] = defaultdict(lambda: {"counts": defaultdict(int), "latency": []})
    for service_id, at, outcome, latency in Result.objects.filter(at__gte=start, at__lt=end).values_list(
        "service_id", "at", "outcome", "latency_ms"
    ):
        bucket = buckets[(service_id, _hour(at))]
        bucket["counts"][outcome] += 1
        if latency is not None:
            bucket["latency"].append(latency)
    return _write(Rollup.Period.HOUR, buckets)


def rollup_days(*, now: datetime) -> int:
    """Daily rows from the hourly ones. A day's p95 is its worst hourly p95 (conservative)."""
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    since = today - timedelta(days=3)
    buckets: dict[tuple[int, datetime], dict] = defaultdict(lambda: {"counts": defaultdict(int), "hours": []})
    for row in Rollup.objects.filter(period=Rollup.Period.HOUR, start__gte=since, start__lt=today):
        day = timezone.localtime(row.start).replace(hour=0, minute=0, second=0, microsecond=0)
        bucket = buckets[(row.service_id, day)]
        for state in (State.UP, State.DEGRADED, State.DOWN):
            bucket["counts"][state] += getattr(row, state)
        bucket["hours"].append(row)
    rows = []
    for (service_id, day), bucket in buckets.items():
        p50s = sorted(h.p50_ms for h in bucket["hours"] if h.p50_ms is not None)
        rows.append(
            Rollup(
                service_id=service_id,
                period=Rollup.Period.DAY,
                start=day,
                up=bucket["counts"][State.UP],
                degraded=bucket["counts"][State.DEGRADED],
                down=bucket["counts"][State.DOWN],
                p50_ms=_percentile(p50s, 0.5),
                p95_ms=max((h.p95_ms for h in bucket["hours"] if h.p95_ms is not None), default=None),
                max_ms=max((h.max_ms for h in bucket["hours"] if h.max_ms is not None), default=None),
            )
        )
    return _upsert(rows)


def _write(period: str, buckets: dict) -> int:
    rows = []
    for (service_id, start), bucket in buckets.items():
        latency = sorted(bucket["latency"])
        counts = bucket["counts"]
        rows.append(
            Rollup(
                service_id=service_id,
                period=period,
                start=start,
                up=counts[State.UP],
                degraded=counts[State.DEGRADED],
                # UNREACHABLE results count as down for uptime: the service could not be used.
                down=counts[State.DOWN] + counts[State.UNREACHABLE],
                p50_ms=_percentile(latency, 0.5),
                p95_ms=_percentile(latency, 0.95),
                max_ms=latency[-1] if latency else None,
            )
        )
    return _upsert(rows)


def _upsert(rows: list[Rollup]) -> int:
    Rollup.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["service", "period", "start"],
        update_fields=["up", "degraded", "down", "p50_ms", "p95_ms", "max_ms"],
    )
    return len(rows)


def prune(*, now: datetime) -> tuple[int, int]:
    raw, _ = Result.objects.filter(at__lt=now - timedelta(hours=settings.STATUS_RAW_HOURS)).delete()
    hourly, _ = Rollup.objects.filter(
        period=Rollup.Period.HOUR, start__lt=now - timedelta(days=settings.STATUS_HOURLY_DAYS)
    ).delete()
    return raw, hourly


def rollup_and_prune(*, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        rollup_hours(now=now)
        rollup_days(now=now)
        prune(now=now)
