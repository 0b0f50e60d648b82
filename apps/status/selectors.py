"""Reads for the board, the service page and the dashboard sentence."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.formats import time_format

from apps.core.wording import and_list
from apps.status import history
from apps.status.models import Service, State

OTHER = "Other services and jobs"  # the group for services without a host
BADGE: dict[str, str] = {  # by Service.state
    State.UP: "ok",
    State.DEGRADED: "warn",
    State.DOWN: "bad",
    State.UNREACHABLE: "bad",
    State.PAUSED: "",
    State.UNKNOWN: "",
}


def _at(moment: datetime | None) -> str:
    return time_format(timezone.localtime(moment), "H:i") if moment else ""


def uptime(service_ids: list[int], *, since: datetime, now: datetime) -> dict[int, float | None]:
    """Share of good checks (up or degraded) since `since`, per service that has any."""
    return {
        pk: (up + degraded) / (up + degraded + down)
        for pk, (up, degraded, down) in history.counts(service_ids, since=since, now=now).items()
    }


def sparklines(
    service_ids: list[int], *, now: datetime, hours: int = 24, buckets: int = 48
) -> dict[int, list[float | None]]:
    """Mean latency per bucket over the last `hours` (None where nothing was measured)."""
    since = now - timedelta(hours=hours)
    width = hours * 3600 / buckets
    out = {}
    measured = history.checks(service_ids, since=since, until=now)
    for pk in service_ids:
        sums = [0.0] * buckets
        counts = [0] * buckets
        for check in measured.get(pk, []):
            if check.latency_ms is not None:
                index = min(buckets - 1, int((check.at - since).total_seconds() // width))
                sums[index] += check.latency_ms
                counts[index] += 1
        out[pk] = [round(s / c, 1) if c else None for s, c in zip(sums, counts, strict=True)]
    return out


def sparkline_points(service_id: int, *, now: datetime, hours: int = 24, buckets: int = 48) -> list[float | None]:
    return sparklines([service_id], now=now, hours=hours, buckets=buckets)[service_id]


def sparkline_svg_path(points: list[float | None], *, width: int = 120, height: int = 24) -> str:
    values = [p for p in points if p is not None]
    if len(values) < 2:  # one point draws nothing: show no chart rather than an empty box
        return ""
    top = max(values) or 1.0
    step = width / max(1, len(points) - 1)
    parts = []
    pen_up = True
    for index, value in enumerate(points):
        if value is None:
            pen_up = True
            continue
        x = round(index * step, 1)
        y = round(height - 2 - (value / top) * (height - 4), 1)
        parts.append(f"{'M' if pen_up else 'L'}{x},{y}")
        pen_up = False
    return " ".join(parts)


@dataclass
class Row:
    service: Service
    badge: str
    since: str
    uptime_24h: float | None
    uptime_7d: float | None
    uptime_90d: float | None
    sparkline: str


def board(*, now: datetime | None = None) -> list[tuple[str, list[Row]]]:
    """Services grouped by host (heartbeats and host-less services last)."""
    now = now or timezone.now()
    services = list(Service.objects.select_related("host").order_by("host__name", "label"))
    ids = [s.pk for s in services]
    day = uptime(ids, since=now - timedelta(hours=24), now=now)
    week = uptime(ids, since=now - timedelta(days=7), now=now)
    quarter = uptime(ids, since=now - timedelta(days=90), now=now)
    lines = sparklines(ids, now=now)
    groups: dict[str, list[Row]] = defaultdict(list)
    for service in services:
        groups[service.host.name if service.host else OTHER].append(
            Row(
                service=service,
                badge=BADGE[service.state],
                since=_since(service.state_since, now),
                uptime_24h=day.get(service.pk),
                uptime_7d=week.get(service.pk),
                uptime_90d=quarter.get(service.pk),
                sparkline=sparkline_svg_path(lines[service.pk]),
            )
        )
    return sorted(groups.items(), key=lambda item: (item[0] == OTHER, item[0]))


def _since(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    if now - moment < timedelta(hours=20):
        return f"since {time_format(local, 'H:i')}"
    return f"since {local:%-d %b}"


def sentence() -> str:
    """The dashboard's one sentence: "All 14 services are working." or what is wrong, with
    dependents folded under the failure that explains them."""
    services = list(
        Service.objects.filter(enabled=True).only("pk", "label", "state", "state_since", "message", "fail_count")
    )
    if not services:
        return "No services are watched yet."
    by_state: dict[str, list[Service]] = defaultdict(list)
    for service in services:
        by_state[service.state].append(service)
    unreachable_by_cause: dict[int | None, list[str]] = defaultdict(list)
    for service in by_state[State.UNREACHABLE]:
        flip = service.flips.filter(new=State.UNREACHABLE).only("cause_id").first()
        unreachable_by_cause[flip.cause_id if flip else None].append(service.label)

    problems = []
    for service in by_state[State.DOWN]:
        since = _at(service.state_since)
        dependents = unreachable_by_cause.pop(service.pk, [])
        if dependents:
            verb = "is" if len(dependents) == 1 else "are"
            problems.append(f"{service.label} is down since {since}, so {_join(dependents)} {verb} unreachable.")
        else:
            problems.append(f"{service.label} is down since {since}: {service.message or 'no answer'}.")
    for labels in unreachable_by_cause.values():
        problems.append(f"{_join(labels)} {'is' if len(labels) == 1 else 'are'} unreachable.")
    for service in by_state[State.DEGRADED]:
        problems.append(f"{service.label} works, but {service.message}.")

    total, up = len(services), len(by_state[State.UP])
    pending = _pending(by_state[State.UNKNOWN])
    if problems:
        if up:
            problems.append("Everything else works" + (f" ({pending})." if pending else "."))
        return " ".join(problems)
    if up == total:
        return "The one service is working." if total == 1 else f"All {total} services are working."
    if up:
        return f"{up} of {total} services are working: {pending}."
    if total == 1:
        retrying = by_state[State.UNKNOWN][0].fail_count
        return f"The one service {'is failing its first checks' if retrying else 'has not been checked yet'}."
    return f"None of the {total} services work yet: {pending}."


def _pending(unknown: list[Service]) -> str:
    """Unknown services: some never checked, some failing their first checks (within retries)."""
    retrying = sum(1 for s in unknown if s.fail_count)
    fresh = len(unknown) - retrying
    parts = []
    if retrying:
        parts.append(
            f"{retrying} {'is' if retrying == 1 else 'are'} failing {'its' if retrying == 1 else 'their'} first checks"
        )
    if fresh:
        parts.append(f"{fresh} {'is' if fresh == 1 else 'are'} not checked yet")
    return " and ".join(parts)


def _count(n: int) -> str:
    return "The one service is" if n == 1 else f"All {n} services are"


def _join(labels: list[str]) -> str:
    return and_list(sorted(labels))
