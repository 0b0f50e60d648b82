"""Writes for the status board: hosts, services and heartbeats (the Settings pages and the
configuration file both save through these), pings, pause, mute."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from apps.status import engine, state_machine
from apps.status.models import Flip, Host, Kind, Service, State

log = logging.getLogger(__name__)
PING_BODY_LIMIT = 10_000
PINGS_PER_MINUTE = 60
OK, UNKNOWN, LIMITED = "ok", "unknown", "limited"
ANSWERS = {OK: (200, "OK\n"), UNKNOWN: (404, "Not found\n"), LIMITED: (429, "Too many pings\n")}


# --- hosts, services and heartbeats ----------------------------------------------------------
# Each save judges the row by its model's rules (full_clean) first: `fields` are the fields
# that changed (None for a new row), as config.upsert passes them.


def host_save(host: Host, fields: list[str] | None = None) -> Host:
    host.full_clean()
    host.save(update_fields=fields)
    return host


def host_delete(host: Host) -> None:
    """Its services go with it (and their history)."""
    host.delete()


def service_save(
    service: Service, fields: list[str] | None = None, *, depends_on: Iterable[Service] | None = None
) -> Service:
    """A polled service, or a heartbeat through heartbeat_save; `depends_on` replaces its
    dependencies when given."""
    service.full_clean()
    with transaction.atomic():
        service.save(update_fields=fields)
        if depends_on is not None:
            service_set_depends_on(service, depends_on)
    return service


def service_set_depends_on(service: Service, depends_on: Iterable[Service], *, graph_checked: bool = False) -> bool:
    """Replace what `service` depends on; True when that changed. A loop is refused (the board
    could never say which one is the cause); `graph_checked`: the importer has judged the whole
    file's graph, whose edges change one service at a time and may loop for a moment."""
    wanted = {other.pk for other in depends_on}
    if service.pk in wanted:
        raise ValidationError({"depends_on": "a service cannot depend on itself"})
    if wanted == set(service.depends_on.values_list("pk", flat=True)):
        return False
    if not graph_checked and _reaches(wanted, service.pk):
        raise ValidationError({"depends_on": "the dependencies go round in a circle"})
    service.depends_on.set(wanted)
    return True


def _reaches(starts: set[int], target: int) -> bool:
    """Whether following depends_on from `starts` arrives at `target` (one query for the graph)."""
    graph: dict[int, set[int]] = {}
    for source, dependency in Service.depends_on.through.objects.values_list("from_service", "to_service"):
        graph.setdefault(source, set()).add(dependency)
    seen, stack = set(), list(starts)
    while stack:
        node = stack.pop()
        if node == target:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, ()))
    return False


def heartbeat_save(heartbeat: Service, fields: list[str] | None = None) -> Service:
    """A new heartbeat gets its ping address here; an existing one keeps it."""
    heartbeat.kind = Kind.HEARTBEAT
    if heartbeat.ping_uuid is None:
        heartbeat.ping_uuid = new_ping_uuid()
        fields = None if fields is None else [*fields, "ping_uuid"]
    return service_save(heartbeat, fields)


def service_delete(service: Service) -> None:
    """A polled service or a heartbeat, with its history."""
    service.delete()


# --- pings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ping:
    """A ping as it arrived. `ping_uuid` is None when the address holds no valid uuid; `signal` is
    "success", "start", "fail" or a non-zero exit status; `expected` is the (state, message)
    it leaves a heartbeat in when nothing else in the row matters (see ping_fast_sql)."""

    ping_uuid: uuid.UUID | None
    signal: str
    body: str
    now: datetime
    expected: tuple[str, str]

    @property
    def minute(self) -> datetime:
        return self.now.replace(second=0, microsecond=0)


def ping_parse(*, ping_uuid: str, signal: str, body: bytes, now: datetime | None = None) -> Ping:
    now = now or timezone.now()
    try:
        parsed = uuid.UUID(ping_uuid)
    except ValueError:  # the address pattern lets through 36 hex digits and dashes in any order
        parsed = None
    signal = "success" if signal == "0" else signal
    start = signal == "start"
    # Postgres text cannot hold NUL, and a job's log may: keep the ping, mark the byte.
    text = "" if start else body[:PING_BODY_LIMIT].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    # Right after a ping its own time decides: period, grace and an older ping do not matter.
    expected = state_machine.heartbeat_state(
        now=now,
        last_ping_at=None if start else now,
        last_ping_kind="" if start else signal,
        last_start_at=now if start else None,
        period=0,
        grace=0,
    )
    return Ping(parsed, signal, text, now, expected)


def ping_answer(*, ping_uuid: str, signal: str, body: bytes, now: datetime | None = None) -> tuple[int, str]:
    """The whole ping for the Django view; ping_asgi.handle does the same steps with async I/O.
    `now`: when the ping arrived (tests deliver pings out of order with it)."""
    ping = ping_parse(ping_uuid=ping_uuid, signal=signal, body=body, now=now)
    if ping.ping_uuid is None:
        return ANSWERS[UNKNOWN]
    row = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(*ping_fast_sql(ping=ping))
            row = cursor.fetchone()
        if ping_fast_done(ping=ping, row=row):
            return ANSWERS[OK]
    return ANSWERS[ping_slow(ping=ping, row=row)]


# Postgres: the usual ping in one statement. It records the ping, counts it in the row for the
# rate limit (as ping_count does) and sets the message, but only where that changes no state:
# the row is already in the state the ping leads to (or paused), it is under the limit, the
# ping is not older than the one it replaces (as ping_is_late), and, for a success, no run
# with a min_duration is open (too_short could be true). Anything else matches no row and
# takes the full path, ping_record. RETURNING gives what the judgement reads, so
# ping_fast_done can check the row really is where the ping predicted.
# Requests overtake each other: a ping stamped 12:00:59.9 may arrive after one stamped
# 12:01:00.1. The row's minute therefore only moves forward, and such a ping counts in it
# (setting the minute back let 158 pings through in two minutes that allow 120).
_FAST_SQL = """UPDATE status_service SET {record}, message = %(message)s,
    ping_minute_count = CASE WHEN ping_minute >= %(minute)s THEN ping_minute_count + 1 ELSE 1 END,
    ping_minute = GREATEST(ping_minute, %(minute)s)
WHERE ping_uuid = %(uuid)s AND kind = 'heartbeat'
    AND (ping_minute IS NULL OR ping_minute < %(minute)s OR ping_minute_count < %(limit)s)
    AND (state = %(state)s OR NOT enabled){guard}
RETURNING id, last_ping_at, last_ping_kind, last_start_at, period, grace"""
_END = "last_ping_at = %(now)s, last_ping_kind = %(signal)s, last_ping_body = %(body)s"
_NOT_LATE = "\n    AND (last_ping_at IS NULL OR last_ping_at <= %(now)s)"
_FAST = {
    "start": _FAST_SQL.format(
        record="last_start_at = %(now)s", guard="\n    AND (last_start_at IS NULL OR last_start_at <= %(now)s)"
    ),
    "success": _FAST_SQL.format(
        record=_END,
        guard=_NOT_LATE + "\n    AND (min_duration = 0 OR last_start_at IS NULL OR last_ping_at > last_start_at)",
    ),
    "other": _FAST_SQL.format(record=_END, guard=_NOT_LATE),
}


def ping_fast_sql(*, ping: Ping) -> tuple[str, dict]:
    sql = _FAST.get(ping.signal, _FAST["other"])
    state, message = ping.expected
    params = {
        "uuid": ping.ping_uuid,
        "now": ping.now,
        "signal": ping.signal,
        "body": ping.body,
        "message": message,
        "state": state,
        "minute": ping.minute,
        "limit": PINGS_PER_MINUTE,
    }
    return sql, params


def ping_fast_done(*, ping: Ping, row: tuple | None) -> bool:
    """True when the fast UPDATE recorded the ping and the row, judged as the full path would,
    is where the ping predicted. False: ping_slow finishes it."""
    if row is None:
        return False
    _, last_ping_at, last_ping_kind, last_start_at, period, grace = row
    judged = state_machine.heartbeat_state(
        now=ping.now,
        last_ping_at=last_ping_at,
        last_ping_kind=last_ping_kind,
        last_start_at=last_start_at,
        period=period,
        grace=grace,
    )
    return judged == ping.expected


def ping_slow(*, ping: Ping, row: tuple | None) -> str:
    """After the fast UPDATE: nothing written (row None) takes the full path; a recorded ping
    whose judgement the prediction missed (clock skew) is judged again. Without Postgres, every
    ping comes here."""
    if row is None:
        return ping_record(ping=ping)
    with transaction.atomic():
        _judge(Service.objects.select_for_update().get(pk=row[0]), [], now=ping.now)
    return OK


def ping_record(*, ping: Ping) -> str:
    """The full path: lock the row, count the ping, record it, judge and settle (a Flip per
    state change, which alerts come from). A fail ping turns the service DOWN at once."""
    with transaction.atomic():
        try:
            service = Service.objects.select_for_update().get(ping_uuid=ping.ping_uuid, kind=Kind.HEARTBEAT)
        except Service.DoesNotExist:
            return UNKNOWN
        if not ping_count(service=service, minute=ping.minute):
            return LIMITED
        fields = ["ping_minute", "ping_minute_count"]
        if ping_is_late(service=service, ping=ping):
            Service.objects.filter(pk=service.pk).update(**{f: getattr(service, f) for f in fields})
            return OK
        if ping.signal == "start":
            service.last_start_at = ping.now
            fields.append("last_start_at")
        else:
            short = ping.signal == "success" and too_short(service, ping.now)
            service.last_ping_at, service.last_ping_kind = ping.now, "short" if short else ping.signal
            service.last_ping_body = ping.body
            fields += ["last_ping_at", "last_ping_kind", "last_ping_body"]
        _judge(service, fields, now=ping.now)
    return OK


def ping_is_late(*, service: Service, ping: Ping) -> bool:
    """True when the row already holds a newer ping of the same kind (requests overtake each
    other): the ping is counted and changes nothing else, so last_ping_at and last_start_at
    never move backwards and the newest ping decides. _FAST_SQL leaves such pings to
    ping_record."""
    recorded = service.last_start_at if ping.signal == "start" else service.last_ping_at
    return recorded is not None and ping.now < recorded


def ping_count(*, service: Service, minute: datetime) -> bool:
    """Count a ping against PINGS_PER_MINUTE in the row, per calendar minute; False when it is
    over. A ping from an earlier minute that arrives late counts in the row's minute, which
    only moves forward. _FAST_SQL counts the same way."""
    if service.ping_minute is not None and service.ping_minute >= minute:
        if service.ping_minute_count >= PINGS_PER_MINUTE:
            return False
        service.ping_minute_count += 1
    else:
        service.ping_minute, service.ping_minute_count = minute, 1
    return True


def _judge(service: Service, fields: list[str], *, now: datetime) -> None:
    """Save `fields` and the heartbeat's new message; settle a changed state. In a transaction."""
    state, message = engine.judge_heartbeat(service, now=now)
    if message != service.message:
        service.message = message
        fields.append("message")
    if fields:
        Service.objects.filter(pk=service.pk).update(**{f: getattr(service, f) for f in fields})
    if service.enabled and state != service.state:
        engine.settle([(service, state)], now=now)


def too_short(service: Service, now: datetime) -> bool:
    """A backup that "succeeds" in seconds usually backed up nothing."""
    started = service.last_start_at
    if not service.min_duration or started is None:
        return False
    if service.last_ping_at and service.last_ping_at > started:
        return False  # no start ping for this run
    return (now - started).total_seconds() < service.min_duration


# --- pause and mute -------------------------------------------------------------------------


def service_pause(*, service: Service, paused: bool) -> None:
    now = timezone.now()
    new = State.PAUSED if paused else State.UNKNOWN
    with transaction.atomic():
        if service.state != new:
            Flip.objects.create(
                service=service,
                created=now,
                old=service.state,
                new=new,
                reason="paused by the owner" if paused else "resumed by the owner",
            )
        Service.objects.filter(pk=service.pk).update(
            enabled=not paused, state=new, state_since=now, fail_count=0, next_check_at=None
        )


def service_mute(*, service: Service, until: datetime | None) -> None:
    Service.objects.filter(pk=service.pk).update(muted_until=until)


def new_ping_uuid() -> uuid.UUID:
    return uuid.uuid4()
