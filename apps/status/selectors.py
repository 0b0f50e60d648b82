"""Reads for the board, the service page and the dashboard sentence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.formats import time_format

from apps.core.wording import and_list, duration, plural
from apps.status import history
from apps.status.models import Flip, Result, Rollup, Service, State
from apps.status.templatetags.status_tags import percent

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
    return {pk: uptime_of(tally) for pk, tally in history.counts(service_ids, since=since, now=now).items()}


def uptime_of(tally: tuple[int, int, int] | None) -> float | None:
    """(up, degraded, down) -> the share of good checks; None without checks."""
    if not tally or not sum(tally):
        return None
    up, degraded, down = tally
    return (up + degraded) / (up + degraded + down)


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


# Problems first: the order rows and hosts take on the board.
SEVERITY: dict[str, int] = {
    State.DOWN: 0,
    State.UNREACHABLE: 1,
    State.DEGRADED: 2,
    State.UNKNOWN: 3,
    State.UP: 4,
    State.PAUSED: 5,
}
DOT: dict[str, str] = {State.UP: "ok", State.DEGRADED: "warn", State.DOWN: "bad", State.UNREACHABLE: "bad"}  # else grey
BAR_CHECKS = 30  # the last checks drawn as a bar per service
ENOUGH_CHECKS = 10  # fewer than this: "checked since 14:20", no percentage yet
WINDOWS = (("24 h", timedelta(hours=24)), ("7 d", timedelta(days=7)), ("90 d", timedelta(days=90)))


@dataclass
class Tick:
    """One check in a service's bar: its colour class and what a hover says."""

    css: str
    title: str


@dataclass
class Row:
    service: Service
    badge: str
    since: str
    reason: str  # what the row says: the check's message, or the dependency that explains it
    bar: list[Tick]
    uptime: str  # "99.9% 24 h · 98.7% 7 d", "checked since 14:20", or "" before the first check
    # What to do when it is down: the runbooks linked to it that the member may read
    # (apps.runbooks.models.Runbook; filled per member by views.index).
    runbooks: list = field(default_factory=list)


@dataclass
class Board:
    counts: list[tuple[str, int, str]]  # (words, how many, dot class) for the summary strip
    groups: list[tuple[str, list[Row]]]


def _uptime(totals: list[int], figures: list[float | None], first: datetime | None, now: datetime) -> str:
    """The uptime figures a service's history can honestly give (totals and figures per
    window of WINDOWS): a window is shown only when the service was watched for longer than
    the window before it; one minute after the start there is no "0.0%", but "checked since 14:20"."""
    if not totals[-1]:
        return ""
    if totals[-1] == totals[0]:  # all of its history lies within the last day
        since = _since(first, now)
        return f"checked {since}" if totals[0] < ENOUGH_CHECKS else f"{percent(figures[0])} {since}"
    shown = [
        f"{percent(figures[index])} {name}"
        for index, (name, _) in enumerate(WINDOWS)
        if totals[index] and (index == 0 or totals[index] > totals[index - 1])
    ]
    return " · ".join(shown)


def board(*, now: datetime | None = None) -> Board:
    """Services grouped by host, problems first in each group and groups with problems first
    (heartbeats and host-less services in their own group), with the summary strip's counts."""
    now = now or timezone.now()
    services = list(
        Service.objects.select_related("host").annotate(
            cause_label=Subquery(_latest_cause().values("cause__label")[:1])
        )
    )
    ids = [s.pk for s in services]
    tallies = [history.counts(ids, since=now - span, now=now) for _, span in WINDOWS]
    recent = history.checks(ids, since=now - timedelta(hours=24), until=now)
    groups: dict[str, list[Row]] = defaultdict(list)
    for service in services:
        totals = [sum(tally.get(service.pk, (0, 0, 0))) for tally in tallies]
        figures = [uptime_of(tally.get(service.pk)) for tally in tallies]
        checks = recent.get(service.pk, [])
        groups[service.host.name if service.host else OTHER].append(
            Row(
                service=service,
                badge=BADGE[service.state],
                since=_since(service.state_since, now),
                reason=_reason(service),
                bar=[
                    Tick(DOT.get(c.outcome, "none"), f"{_at(c.at)} {State(c.outcome).label}")
                    for c in checks[-BAR_CHECKS:]
                ],
                uptime=_uptime(totals, figures, checks[0].at if checks else None, now),
            )
        )
    for rows in groups.values():
        rows.sort(key=lambda row: (SEVERITY[row.service.state], row.service.label.lower()))
    ordered = sorted(
        groups.items(),
        key=lambda item: (SEVERITY[item[1][0].service.state] > 2, item[0] == OTHER, item[0].lower()),
    )
    return Board(counts=_counts(services), groups=ordered)


def _cause_label(service: Service) -> str | None:
    """The service it waits for, which board() annotates (None: not annotated, or no cause)."""
    return getattr(service, "cause_label", None)


def _reason(service: Service) -> str:
    """An unreachable service is explained by what it waits for, not by its own error (a name
    that does not resolve because the machine holding the DNS is off)."""
    cause = _cause_label(service)
    if service.state == State.UNREACHABLE and cause:
        return f"Depends on {cause}, which is down."
    if service.state == State.PAUSED:
        return "Paused: not checked."
    return service.message


def _counts(services: Sequence[Service]) -> list[tuple[str, int, str]]:
    by_state: dict[str, int] = defaultdict(int)
    for service in services:
        by_state[service.state] += 1
    words = [
        (State.UP, "up"),
        (State.DEGRADED, "slow or partly working"),
        (State.DOWN, "down"),
        (State.UNREACHABLE, "waiting for another"),
        (State.PAUSED, "paused"),
        (State.UNKNOWN, "not checked yet"),
    ]
    return [(label, by_state[state], DOT.get(state, "none")) for state, label in words if by_state[state]]


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
            problems.append(
                f"{service.label} is down since {since}, so {and_list(sorted(dependents))} {verb} unreachable."
            )
        else:
            problems.append(f"{service.label} is down since {since}: {service.message or 'no answer'}.")
    for labels in unreachable_by_cause.values():
        problems.append(f"{and_list(sorted(labels))} {'is' if len(labels) == 1 else 'are'} unreachable.")
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


# --- The home page's clause -----------------------------------------------------------------

DOWNISH = {State.DOWN, State.UNREACHABLE}


def headline() -> str:
    """The status board in one line of family words, whatever the number of problems: machines
    that answer on no service first (with how many services wait for them), then the few other
    problems by name, then what is not checked yet. The whole story is on the board."""
    services = list(
        Service.objects.filter(enabled=True)
        .select_related("host")
        .annotate(cause_host=Subquery(_latest_cause().values("cause__host__name")[:1]))
        .only("pk", "label", "state", "host__name")
    )
    if not services:
        return "No services are watched yet."
    by_host: dict[str, list[Service]] = defaultdict(list)
    for service in services:
        if service.host is not None:  # select_related: no query
            by_host[service.host.name].append(service)
    dark = sorted(name for name, on_host in by_host.items() if all(s.state in DOWNISH for s in on_host))
    waiting = [
        s
        for s in services
        if s.state in DOWNISH
        and ((s.host is not None and s.host.name in dark) or getattr(s, "cause_host", None) in dark)
    ]
    others = [s for s in services if s.state in DOWNISH | {State.DEGRADED} and s not in waiting]
    unchecked = sum(1 for s in services if s.state == State.UNKNOWN)
    clauses = []
    if dark:
        machines = "1 machine is" if len(dark) == 1 else f"{len(dark)} machines are"
        wait = f"{plural(len(waiting), 'service')} {'waits' if len(waiting) == 1 else 'wait'}"
        clauses.append(f"{machines} not answering: {and_list(dark)}; {wait} for {'it' if len(dark) == 1 else 'them'}.")
    if len(others) > 2:
        clauses.append(f"{len(others)}{' more' if dark else ''} services have a problem.")
    elif others:
        problems = and_list([f"{s.label} {_state_words(s.state)}" for s in sorted(others, key=lambda s: s.label)])
        clauses.append(f"{problems[:1].upper()}{problems[1:]}.")
    if unchecked:
        clauses.append(f"{plural(unchecked, 'service')} {'is' if unchecked == 1 else 'are'} not checked yet.")
    if not clauses:
        return "The one service works." if len(services) == 1 else f"All {len(services)} services work."
    return " ".join(clauses)


def _latest_cause() -> QuerySet[Flip]:
    return Flip.objects.filter(service=OuterRef("pk"), new=State.UNREACHABLE).order_by("-created")


def _state_words(state: str) -> str:
    words: dict[str, str] = {
        State.DOWN: "is down",
        State.UNREACHABLE: "is unreachable",
        State.DEGRADED: "works only partly",
    }
    return words[state]


# --- A year (the ledger's annual review) ------------------------------------------------------


@dataclass
class ServiceYear:
    """One service over a span: its checks, how often it went down and for how long."""

    service: Service
    up: int = 0
    degraded: int = 0
    down: int = 0
    incidents: int = 0  # flips to DOWN within the span
    downtime: timedelta = field(default_factory=timedelta)  # time spent DOWN within the span

    @property
    def checks(self) -> int:
        return self.up + self.degraded + self.down

    @property
    def uptime(self) -> float | None:
        return uptime_of((self.up, self.degraded, self.down))

    @property
    def downtime_words(self) -> str:
        return duration(self.downtime) if self.downtime else "none"


def span_uptime(*, start: datetime, end: datetime, now: datetime) -> list[ServiceYear]:
    """Every service with checks or state changes between `start` and `end` (local midnights),
    worst uptime first. Checks: the day rows' totals plus the raw results not rolled up yet (a
    packed hour is always rolled up and a raw result never is, so none counts twice).
    Incidents: times the service went DOWN; downtime runs from such a flip to the service's next
    flip, within the span and not past `now` (a service down at the start counts from the start,
    without an incident). UNREACHABLE is not downtime: it is another service's incident. Four
    queries, whatever the number of services."""
    until = min(end, now)
    tally: dict[int, ServiceYear] = {}
    services = {
        s.pk: s
        for s in Service.objects.select_related("host").annotate(
            state_at_start=Subquery(
                Flip.objects.filter(service=OuterRef("pk"), created__lt=start).order_by("-created").values("new")[:1]
            )
        )
    }

    def row(pk: int) -> ServiceYear:
        if pk not in tally:
            tally[pk] = ServiceYear(services[pk])
        return tally[pk]

    days = (
        Rollup.objects.filter(start__gte=start, start__lt=end)
        .values("service_id")
        .annotate(u=Sum("up"), g=Sum("degraded"), d=Sum("down"))
    )
    for day in days:
        year = row(day["service_id"])
        year.up, year.degraded, year.down = day["u"], day["g"], day["d"]
    raw = (
        Result.objects.filter(at__gte=start, at__lt=end)
        .values("service_id")
        .annotate(
            u=Count("id", filter=Q(outcome=State.UP)),
            g=Count("id", filter=Q(outcome=State.DEGRADED)),
            n=Count("id"),
        )
    )
    for counted in raw:
        year = row(counted["service_id"])
        year.up += counted["u"]
        year.degraded += counted["g"]
        year.down += counted["n"] - counted["u"] - counted["g"]
    down_since: dict[int, datetime | None] = {
        pk: start for pk, s in services.items() if getattr(s, "state_at_start", None) == State.DOWN
    }
    flips = Flip.objects.filter(created__gte=start, created__lt=until).order_by("service_id", "created", "pk")
    for service_id, created, new in flips.values_list("service_id", "created", "new"):
        year = row(service_id)
        began = down_since.pop(service_id, None)
        if began is not None:
            year.downtime += created - began
        if new == State.DOWN:
            year.incidents += 1
            down_since[service_id] = created
    for service_id, began in down_since.items():
        if began is not None and began < until:
            row(service_id).downtime += until - began
    return sorted(
        tally.values(),
        key=lambda y: (y.uptime if y.uptime is not None else 2.0, -y.downtime, y.service.label.lower()),
    )
