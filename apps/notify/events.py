"""Turn a batch of Flips into events in plain words.

Root-cause grouping: flips to UNREACHABLE whose cause flipped DOWN in the same batch fold
into the cause's alert ("The NAS is down, so Forgejo, n8n and Grafana are unreachable.").
Recoveries fold the same way. Muted services say nothing. Pure functions over the rows
given: apps/notify/services.py claims the flips and sends the events.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Subquery

from apps.core.wording import and_list, duration
from apps.notify.models import DIGEST, REMINDER, TEST, EventKind
from apps.status.models import Criticality, Flip, Service, State

FAILING = {State.DOWN, State.UNREACHABLE}
QUIET_STATES = {State.UNKNOWN, State.PAUSED}


@dataclass
class Event:
    """What one alert says. JSON-friendly (`as_dict`), because Celery carries it to `notify.deliver`."""

    kind: str
    title: str
    text: str
    created: str  # ISO 8601
    service_id: int | None = None
    services: list[str] = field(default_factory=list)
    critical: bool = False
    state: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(**data)


# --- words ---------------------------------------------------------------------------------


def name(label: str, *, start: bool = False) -> str:
    """ "NAS" reads as "the NAS"; "Forgejo" stays as it is."""
    words = label.split()
    article = len(words) == 1 and label.isupper() and len(label) > 1
    out = f"the {label}" if article else label
    return out[0].upper() + out[1:] if start and out else out


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def names(labels: list[str]) -> str:
    return and_list([name(label) for label in labels])


def _verb(count: int) -> str:
    return "is" if count == 1 else "are"


def _reason(flip: Flip) -> str:
    return f": {flip.reason}" if flip.reason else ""


# --- flips -> events -----------------------------------------------------------------------


@dataclass(frozen=True)
class LookBack:
    """What a recovery needs from its service's earlier flips: when the failing run it ends
    began, and the cause of the last UNREACHABLE (to fold it into its cause's recovery)."""

    outage_start: datetime | None
    last_cause_id: int | None


def look_back(flips: list[Flip]) -> dict[int, LookBack]:
    """LookBack for every recovery in `flips`, in one query whatever the batch's size (two
    correlated subqueries on the flips' own table: no query per flip)."""
    recoveries = [f.pk for f in flips if f.new == State.UP and f.old in FAILING]
    if not recoveries:
        return {}
    earlier = (
        Flip.objects.filter(service_id=OuterRef("service_id"), created__lte=OuterRef("created"))
        .exclude(pk=OuterRef("pk"))
        .order_by("-created", "-pk")
    )
    rows = (
        Flip.objects.filter(pk__in=recoveries)
        .annotate(
            started=Subquery(earlier.filter(new__in=FAILING).exclude(old__in=FAILING).values("created")[:1]),
            last_cause=Subquery(earlier.filter(new=State.UNREACHABLE).values("cause_id")[:1]),
        )
        .values_list("pk", "started", "last_cause")
    )
    return {pk: LookBack(started, cause) for pk, started, cause in rows}


def _muted(service: Service, now: datetime) -> bool:
    return service.muted_until is not None and service.muted_until > now


def _critical(*services: Service) -> bool:
    return any(s.criticality == Criticality.CRITICAL for s in services)


def from_flips(flips: list[Flip], *, now: datetime) -> list[Event]:
    """Events for one claimed batch, in the order the flips happened."""
    stamp = now.isoformat()
    flips = sorted(flips, key=lambda f: (f.created, f.pk or 0))
    down_now = {f.service_id: f for f in flips if f.new == State.DOWN}
    up_from_down = {f.service_id: f for f in flips if f.new == State.UP and f.old == State.DOWN}
    folded: dict[int, list[Flip]] = {}  # cause service id -> dependents' flips
    folded_up: dict[int, list[Flip]] = {}
    events: list[Event] = []
    history = look_back(flips)

    # Which flips fold into a cause's alert.
    for flip in flips:
        if flip.new == State.UNREACHABLE and flip.cause_id in down_now:
            folded.setdefault(flip.cause_id, []).append(flip)
        elif flip.new == State.UP and flip.old == State.UNREACHABLE:
            cause_id = history[flip.pk].last_cause_id
            if cause_id in up_from_down:
                folded_up.setdefault(cause_id, []).append(flip)
    skip = {f.pk for group in (*folded.values(), *folded_up.values()) for f in group}
    orphans: dict[int | None, list[Flip]] = {}  # unreachable, its cause down since before

    for flip in flips:
        if flip.pk in skip or flip.new in QUIET_STATES:
            continue
        service = flip.service
        if flip.new == State.DOWN:
            if _muted(service, now):
                continue
            dependents = [f.service for f in folded.get(flip.service_id, []) if not _muted(f.service, now)]
            if dependents:
                text = (
                    f"{name(service.label, start=True)} is down, so {names([d.label for d in dependents])} "
                    f"{_verb(len(dependents))} unreachable."
                )
            else:
                text = f"{name(service.label, start=True)} is down{_reason(flip)}."
            events.append(
                Event(
                    kind=EventKind.DOWN,
                    title=f"{name(service.label, start=True)} is down",
                    text=text,
                    created=stamp,
                    service_id=service.pk,
                    services=[service.label, *[d.label for d in dependents]],
                    critical=_critical(service, *dependents),
                    state=State.DOWN,
                )
            )
        elif flip.new == State.UNREACHABLE:
            if not _muted(service, now) and not (flip.cause and _muted(flip.cause, now)):
                orphans.setdefault(flip.cause_id, []).append(flip)
        elif flip.new == State.UP and flip.old in FAILING:
            if _muted(service, now):
                continue
            events.append(_recovery(flip, folded_up.get(flip.service_id, []), history[flip.pk], now=now, stamp=stamp))
        elif flip.new == State.UP and flip.old == State.DEGRADED:
            if _muted(service, now):
                continue
            verb = "pinged on time again" if service.is_heartbeat else "is working normally again"
            events.append(
                Event(
                    kind=EventKind.RECOVERED,
                    title=f"{name(service.label, start=True)} is fine again",
                    text=f"{name(service.label, start=True)} {verb}.",
                    created=stamp,
                    service_id=service.pk,
                    services=[service.label],
                    critical=_critical(service),
                    state=State.UP,
                )
            )
        elif flip.new == State.DEGRADED and not _muted(service, now):
            events.append(_degraded(flip, stamp=stamp))

    for cause_id, group in orphans.items():
        labels = [f.service.label for f in group]
        cause = group[0].cause
        because = f" because {name(cause.label)} is down" if cause else ""
        events.append(
            Event(
                kind=EventKind.DOWN,
                title=f"{cap(names(labels))} {_verb(len(labels))} unreachable",
                text=f"{cap(names(labels))} {_verb(len(labels))} unreachable{because}.",
                created=stamp,
                service_id=cause_id,
                services=labels,
                critical=_critical(*[f.service for f in group]),
                state=State.UNREACHABLE,
            )
        )
    return events


def _recovery(flip: Flip, dependents: list[Flip], history: LookBack, *, now: datetime, stamp: str) -> Event:
    service = flip.service
    start = history.outage_start
    after = f" after {duration(flip.created - start)}" if start else ""
    was = "back" if flip.old == State.DOWN else "reachable again"
    text = f"{name(service.label, start=True)} is {was}{after}"
    others = [f.service for f in dependents if not _muted(f.service, now)]
    if others:
        text += f", and {names([o.label for o in others])} with it"
    return Event(
        kind=EventKind.RECOVERED,
        title=f"{name(service.label, start=True)} is {was}",
        text=text + ".",
        created=stamp,
        service_id=service.pk,
        services=[service.label, *[o.label for o in others]],
        critical=_critical(service, *others),
        state=State.UP,
    )


def _degraded(flip: Flip, *, stamp: str) -> Event:
    service = flip.service
    if service.is_heartbeat:
        kind, title = EventKind.HEARTBEAT_LATE, f"{name(service.label, start=True)} is late"
        text = f"{name(service.label, start=True)} is late: its expected check-in has not come yet."
    else:
        kind, title = EventKind.DEGRADED, f"{name(service.label, start=True)} is struggling"
        text = f"{name(service.label, start=True)} is slow or partly working{_reason(flip)}."
    return Event(
        kind=kind,
        title=title,
        text=text,
        created=stamp,
        service_id=service.pk,
        services=[service.label],
        critical=_critical(service),
        state=State.DEGRADED,
    )


def reminder(service: Service, *, now: datetime) -> Event:
    since = f" for {duration(now - service.state_since)}" if service.state_since else ""
    return Event(
        kind=REMINDER,
        title=f"Still down: {name(service.label)}",
        text=f"Reminder: {name(service.label)} has been down{since}.",
        created=now.isoformat(),
        service_id=service.pk,
        services=[service.label],
        critical=_critical(service),
        state=State.DOWN,
    )


def digest(texts: list[str], *, now: datetime) -> Event:
    count = len(texts)
    lines = "\n".join(f"- {t}" for t in texts)
    return Event(
        kind=DIGEST,
        title=f"{count} alert{'s' if count != 1 else ''} held during quiet hours",
        text=f"While quiet hours were on:\n{lines}",
        created=now.isoformat(),
    )


def test_event(*, now: datetime, household: str) -> Event:
    return Event(
        kind=TEST,
        title="Test message from HomeOps",
        text=f"This is a test from {household}'s HomeOps: alerts will arrive here.",
        created=now.isoformat(),
    )
