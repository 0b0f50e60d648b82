"""Writes for the status board: pings, pause, mute."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from apps.status import engine
from apps.status.models import Flip, Kind, Service, State

log = logging.getLogger(__name__)
PING_BODY_LIMIT = 10_000
PINGS_PER_MINUTE = 60


def ping_answer(*, ping_uuid: str, signal: str, body: bytes) -> tuple[int, str]:
    """The whole ping, shared by the ASGI fast path (homeops/asgi.py) and the Django view:
    rate limit, record, and the (status, text) to answer with."""
    key = f"ping-rate:{ping_uuid.lower()}:{int(timezone.now().timestamp() // 60)}"
    # With Redis down the cache misses instead of failing (homeops/cache.py): a lost backup
    # ping would be worse than no limit.
    if cache.get_or_set(key, 0, 120) >= PINGS_PER_MINUTE:
        return 429, "Too many pings\n"
    cache.incr(key)
    if not ping_record(ping_uuid=ping_uuid, signal=signal, body=body):
        return 404, "Not found\n"
    return 200, "OK\n"


def ping_record(*, ping_uuid: uuid.UUID | str, signal: str, body: bytes = b"", now: datetime | None = None) -> bool:
    """A backup job checked in. `signal` is "success", "start", "fail" or an exit status.
    Returns False for an unknown uuid. A fail ping turns the service DOWN at once."""
    now = now or timezone.now()
    service = Service.objects.filter(ping_uuid=ping_uuid, kind=Kind.HEARTBEAT).first()
    if service is None:
        return False
    if signal == "0":
        signal = "success"
    if signal == "start":
        service.last_start_at = now
        fields = ["last_start_at"]
    else:
        if signal == "success" and too_short(service, now):
            signal = "short"
        service.last_ping_at, service.last_ping_kind = now, signal
        service.last_ping_body = body[:PING_BODY_LIMIT].decode("utf-8", errors="replace")
        fields = ["last_ping_at", "last_ping_kind", "last_ping_body"]
    state, message = engine.judge_heartbeat(service, now=now)
    with transaction.atomic():
        if message != service.message:
            service.message = message
            fields.append("message")
        Service.objects.filter(pk=service.pk).update(**{f: getattr(service, f) for f in fields})
        if service.enabled and state != service.state:
            service._new_state = state
            engine.settle([service], now=now)
    return True


def too_short(service: Service, now: datetime) -> bool:
    """A backup that "succeeds" in seconds usually backed up nothing."""
    started = service.last_start_at
    if not service.min_duration or started is None:
        return False
    if service.last_ping_at and service.last_ping_at > started:
        return False  # no start ping for this run
    return (now - started).total_seconds() < service.min_duration


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
