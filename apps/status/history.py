"""Reads of check history across its tiers: raw results not packed yet (Result, about the last
hour), packed hours (ResultHour, STATUS_RAW_HOURS) and day rows with hourly figures and day
totals (Rollup). See rollups.py for how rows move between them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Sum

from apps.status.models import Result, ResultHour, Rollup, State
from apps.status.packing import HOUR, Check, ceil_hour, hour_of, slot_hour, unpack_checks, unpack_hours

RESULT_FIELDS = ("service_id", "at", "outcome", "latency_ms", "message")
# Bounds the day rows that may hold hours on both sides of a moment (23-25 hours a day).
LONGEST_DAY = timedelta(hours=26)


def checks(
    service_ids: list[int], *, since: datetime, until: datetime | None = None, messages: bool = False
) -> dict[int, list[Check]]:
    """Each service's raw results from `since` (to `until`), oldest first. Without `messages`
    the packed texts are not decoded (message is "")."""
    out: dict[int, list[Check]] = defaultdict(list)
    packed = ResultHour.objects.filter(service_id__in=service_ids, hour__gt=since - HOUR)
    recent = Result.objects.filter(service_id__in=service_ids, at__gte=since)
    if until is not None:
        packed, recent = packed.filter(hour__lt=until), recent.filter(at__lt=until)
    for service_id, hour, data, texts in packed.values_list("service_id", "hour", "checks", "messages"):
        out[service_id] += [
            c
            for c in unpack_checks(hour, data, texts if messages else None)
            if c.at >= since and (until is None or c.at < until)
        ]
    for service_id, at, outcome, latency, message in recent.values_list(*RESULT_FIELDS):
        out[service_id].append(Check(at, outcome, latency, message if messages else ""))
    for rows in out.values():
        rows.sort(key=lambda c: c.at)
    return out


def last_checks(service_id: int, *, limit: int = 20) -> list[Check]:
    """The newest `limit` results with their messages, newest first."""
    recent = Result.objects.filter(service_id=service_id).order_by("-at").values_list(*RESULT_FIELDS[1:])
    found = [Check(*row) for row in recent[:limit]]
    packed = ResultHour.objects.filter(service_id=service_id).order_by("-hour")
    taken, offset = 0, 0
    while taken < limit:  # the newest hours first, until they alone hold `limit` checks
        rows = list(packed.values_list("hour", "checks", "messages")[offset : offset + 6])
        for hour, data, texts in rows:
            hour_checks = unpack_checks(hour, data, texts)
            found += hour_checks
            taken += len(hour_checks)
        if len(rows) < 6:
            break
        offset += 6
    return sorted(found, key=lambda c: c.at, reverse=True)[:limit]


def counts(service_ids: list[int], *, since: datetime, now: datetime) -> dict[int, tuple[int, int, int]]:
    """Checks (up, degraded, down) from `since` to `now`, per service that has any. Whole hours
    come from the rolled-up figures (whole days from their totals), the rest from raw results:
    the part of the first hour after `since` (when raw results still cover it) and what is not
    packed yet. A packed hour is always rolled up and an unpacked result never is, so no check
    is counted twice. UNREACHABLE and other failures count as down."""
    first = ceil_hour(since)
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(service_id: int, up: int, degraded: int, down: int) -> None:
        row = tally[service_id]
        row[0], row[1], row[2] = row[0] + up, row[1] + degraded, row[2] + down

    whole_days = (
        Rollup.objects.filter(service_id__in=service_ids, start__gte=first)
        .values("service_id")
        .annotate(u=Sum("up"), g=Sum("degraded"), d=Sum("down"))
    )
    for row in whole_days:
        add(row["service_id"], row["u"], row["g"], row["d"])
    split_days = Rollup.objects.filter(service_id__in=service_ids, start__lt=first, start__gt=first - LONGEST_DAY)
    for service_id, start, data in split_days.values_list("service_id", "start", "hours"):
        for index, figures in enumerate(unpack_hours(data)):
            if figures is not None and slot_hour(start, index) >= first:
                add(service_id, figures.up, figures.degraded, figures.down)

    raw_since = since if since >= now - timedelta(hours=settings.STATUS_RAW_HOURS) else first
    if raw_since < first:  # the rest of the first hour, from its packed results
        edge = ResultHour.objects.filter(service_id__in=service_ids, hour=hour_of(raw_since))
        for service_id, hour, data in edge.values_list("service_id", "hour", "checks"):
            for check in unpack_checks(hour, data, None):
                if check.at >= raw_since:
                    add(service_id, *_split(check.outcome, 1))
    recent = (
        Result.objects.filter(service_id__in=service_ids, at__gte=raw_since)
        .values("service_id", "outcome")
        .annotate(n=Count("id"))
    )
    for row in recent:
        add(row["service_id"], *_split(row["outcome"], row["n"]))
    return {pk: (up, degraded, down) for pk, (up, degraded, down) in tally.items() if up + degraded + down}


def _split(outcome: str, n: int) -> tuple[int, int, int]:
    if outcome == State.UP:
        return n, 0, 0
    if outcome == State.DEGRADED:
        return 0, n, 0
    return 0, 0, n
