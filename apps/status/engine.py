"""One polling round: claim the due checks, run them concurrently, write what was learned.

Claiming moves `next_check_at` forward inside one transaction (SELECT ... FOR UPDATE SKIP
LOCKED on Postgres; SQLite's IMMEDIATE transactions serialize the same way), so two workers,
two beats or a duplicated Celery delivery never run the same check twice. A worker killed
mid-round loses that round only: the claimed checks come due again after their interval.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.status import checks, kinds, state_machine
from apps.status.kinds.base import Outcome, Probe
from apps.status.models import Flip, Kind, Result, Service, State

log = logging.getLogger(__name__)
ROUND_LIMIT = 2000


def polled_kinds() -> list[str]:
    """The kinds the engine runs (a heartbeat reports itself: never claimed)."""
    return [kind.kind for kind in kinds.polled()]


def save_fields(services: list[Service], fields: list[str]) -> None:
    """Write `fields` of many services as one batch of single-row UPDATEs. psycopg pipelines
    executemany; Django's bulk_update builds a CASE WHEN per field and row instead, which
    took 2 s of a 1,000-check round in Python alone (bench/README.md)."""
    if not services:
        return
    concrete = {field.name: field for field in Service._meta.concrete_fields}
    columns = [concrete[name] for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = f"UPDATE {quote(Service._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608
    rows = [
        [field.get_db_prep_save(getattr(s, field.attname), connection) for field in columns] + [s.pk] for s in services
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def claim_due(*, queue: str, now: datetime, limit: int = ROUND_LIMIT) -> list[Service]:
    """Move the due checks' next_check_at forward and return them: they are this round's."""
    due = (
        Service.objects.filter(enabled=True, queue=queue, kind__in=polled_kinds())
        .filter(Q(next_check_at__lte=now) | Q(next_check_at=None))
        .order_by("next_check_at")
    )
    if connection.vendor == "postgresql":
        return _claim_postgres(due, now=now, limit=limit)
    with transaction.atomic():  # SQLite: the IMMEDIATE transaction is the lock
        claimed = list(due[:limit])
        for service in claimed:
            service.next_check_at = now + timedelta(seconds=service.interval)
        save_fields(claimed, ["next_check_at"])
    return claimed


def _claim_postgres(due, *, now: datetime, limit: int) -> list[Service]:
    """One UPDATE ... RETURNING over the rows SKIP LOCKED leaves us (39 ms rather than 218 ms
    for 1,000 checks with SELECT FOR UPDATE plus per-row updates; bench/README.md)."""
    table = connection.ops.quote_name(Service._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        # Compiled inside the transaction: Django refuses select_for_update outside one.
        locked = due.values("pk")[:limit].select_for_update(skip_locked=True, of=("self",))
        select, params = locked.query.sql_with_params()
        sql = (
            f"UPDATE {table} SET next_check_at = %s + make_interval(secs => interval) "  # noqa: S608
            f"WHERE id IN ({select}) RETURNING id"
        )
        cursor.execute(sql, [now, *params])
        ids = [row[0] for row in cursor.fetchall()]
    return list(Service.objects.filter(pk__in=ids).order_by("next_check_at", "pk"))


def run_round(*, queue: str = "celery", now: datetime | None = None, concurrency: int = 100) -> int:
    """Claim, check, record. Returns how many checks ran."""
    now = now or timezone.now()
    services = claim_due(queue=queue, now=now)
    if services:
        probes = [Probe(s.pk, s.kind, s.check_config, s.timeout) for s in services]
        outcomes = asyncio.run(checks.run_probes(probes, concurrency=concurrency))
        record(services, outcomes, now=timezone.now())
    if queue == "celery":  # judged once per tick, here: they need no probe
        evaluate_heartbeats(now=now)
        mark_silent(now=now)
    return len(services)


def record(services: list[Service], outcomes: list[Outcome], *, now: datetime) -> None:
    """Write results in bulk, move states, then mark what a failing dependency explains."""
    Result.objects.bulk_create(
        Result(service=s, at=now, outcome=o.state, latency_ms=o.latency_ms, message=o.message[:300])
        for s, o in zip(services, outcomes, strict=True)
    )
    changes: list[tuple[Service, str]] = []
    for service, outcome in zip(services, outcomes, strict=True):
        state, fails = state_machine.after_check(
            current=service.state, fail_count=service.fail_count, outcome=outcome.state, retries=service.retries
        )
        service.fail_count = fails
        service.latency_ms = outcome.latency_ms
        service.last_checked_at = now
        service.details = outcome.data
        service.message = outcome.message[:300]  # the latest output, retrying or not
        if outcome.version and outcome.version != service.version:
            service.version, service.version_since = outcome.version, now
        changes.append((service, state))
    fields = ["fail_count", "latency_ms", "last_checked_at", "message", "version", "version_since", "details"]
    with transaction.atomic():
        save_fields([service for service, _ in changes], fields)
        settle(changes, now=now)


def settle(changes: list[tuple[Service, str]], *, now: datetime) -> list[Flip]:
    """Apply each service's new state (the state machine's verdict, or the same state again),
    turning DOWN into UNREACHABLE where a dependency explains it, and re-judge services already
    DOWN whose dependency has just failed. One Flip per change."""
    pending = {service.pk: new for service, new in changes}
    states = dict(Service.objects.values_list("pk", "state"))
    states.update(pending)
    depends_on: dict[int, list[int]] = {}
    for source, target in Service.depends_on.through.objects.values_list("from_service_id", "to_service_id"):
        depends_on.setdefault(source, []).append(target)

    failing_now = {pk for pk, state in pending.items() if state in state_machine.FAILING}
    dependents_down = Service.objects.filter(depends_on__in=failing_now, state=State.DOWN, enabled=True).exclude(
        pk__in=pending
    )
    by_pk = {service.pk: service for service, _ in changes}
    for service in dependents_down:
        by_pk[service.pk] = service
        pending[service.pk] = State.DOWN

    flips = []
    for pk, new in pending.items():
        service = by_pk[pk]
        cause = None
        if new == State.DOWN:
            cause = state_machine.root_cause(pk, states, depends_on)
            if cause is not None:
                new = State.UNREACHABLE
        states[pk] = new
        if new != service.state:
            reason = service.message if cause is None else f"depends on {_label(cause)}, which is down"
            flips.append(Flip(service=service, created=now, old=service.state, new=new, reason=reason, cause_id=cause))
            service.state, service.state_since = new, now
    if flips:
        save_fields([f.service for f in flips], ["state", "state_since"])
        Flip.objects.bulk_create(flips)
    return flips


def _label(pk: int) -> str:
    return Service.objects.filter(pk=pk).values_list("label", flat=True).first() or "another service"


def mark_silent(*, now: datetime) -> list[Flip]:
    """A polled service nobody has checked for three intervals (at least 5 minutes) is UNKNOWN:
    the worker for its queue is probably not running, and its last state may be stale."""
    silent: list[tuple[Service, str]] = []
    # Nothing is silent before 5 minutes: let the database skip every service checked since.
    candidates = Service.objects.filter(
        enabled=True, kind__in=polled_kinds(), last_checked_at__lt=now - timedelta(seconds=300)
    ).exclude(state=State.UNKNOWN)
    for service in candidates:
        quiet_for = max(3 * service.interval, 300)
        assert service.last_checked_at is not None  # the filter above: last_checked_at__lt
        if (now - service.last_checked_at).total_seconds() > quiet_for:
            since = timezone.localtime(service.last_checked_at).strftime("%H:%M")
            service.message = f"not checked since {since}: is the worker for the {service.queue!r} queue running?"
            silent.append((service, State.UNKNOWN))
    if not silent:
        return []
    with transaction.atomic():
        save_fields([service for service, _ in silent], ["message"])
        return settle(silent, now=now)


def judge_heartbeat(service: Service, *, now: datetime) -> tuple[str, str]:
    return state_machine.heartbeat_state(
        now=now,
        last_ping_at=service.last_ping_at,
        last_ping_kind=service.last_ping_kind,
        last_start_at=service.last_start_at,
        period=service.period,
        grace=service.grace,
    )


def evaluate_heartbeats(*, now: datetime) -> list[Flip]:
    """Heartbeats change state with time alone (late, then down): judged on every tick."""
    changed = []
    for service in Service.objects.filter(enabled=True, kind=Kind.HEARTBEAT):
        state, message = judge_heartbeat(service, now=now)
        if state != service.state or message != service.message:
            service.message = message
            changed.append((service, state))
    if not changed:
        return []
    with transaction.atomic():
        save_fields([service for service, _ in changed], ["message"])
        return settle(changed, now=now)


def check_now(service: Service, *, save: bool = True) -> Outcome:
    """Run one check at once: "check now" records it; "test this check" (save=False) tries
    settings that are not saved yet."""
    probe = Probe(service.pk, service.kind, service.check_config, service.timeout)
    outcome = asyncio.run(checks.run_probes([probe]))[0]
    if save and service.pk:
        record([service], [outcome], now=timezone.now())
    return outcome
