"""Who may ask which alias, how much and when. Counters live in the shared cache (Redis in
production): tokens used today per member, and streams open now. A cache that lost a
counter rebuilds today's tokens from the audit log; with Redis down the limits are off
rather than the assistant (homeops/cache.py)."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.formats import time_format

from apps.gateway.errors import GatewayError
from apps.gateway.snapshot import Identity, PolicyInfo, RouteInfo, Snapshot, in_thread
from homeops.cache import process_cache

DAY_SECONDS = 86400


def allowed_aliases(snap: Snapshot, who: Identity, *, workload: str | None = None) -> list[RouteInfo]:
    policy = snap.policy_for(who.member_id, who.role)
    return [
        route
        for alias, route in sorted(snap.routes.items())
        if (policy.aliases is None or alias in policy.aliases) and (workload is None or route.workload == workload)
    ]


def route_for(snap: Snapshot, who: Identity, alias: str, workload: str) -> tuple[RouteInfo, PolicyInfo]:
    route = snap.routes.get(alias)
    if route is None:
        raise GatewayError(
            404,
            f"The model '{alias}' does not exist. Ask GET /v1/models for yours.",
            code="model_not_found",
            param="model",
        )
    policy = snap.policy_for(who.member_id, who.role)
    if policy.aliases is not None and alias not in policy.aliases:
        raise GatewayError(
            403,
            f"You may not use '{alias}'. Ask the owner to allow it.",
            type="permission_error",
            code="model_not_allowed",
            param="model",
        )
    if route.workload != workload:
        raise GatewayError(
            400, f"'{alias}' is for {route.workload}, not {workload}.", code="wrong_workload", param="model"
        )
    return route, policy


def quiet_until(policy: PolicyInfo, now: datetime) -> datetime | None:
    """The end of the member's quiet hours when `now` falls inside them."""
    start, end = policy.quiet_from, policy.quiet_until
    if start is None or end is None or start == end:
        return None
    local = timezone.localtime(now)
    at = local.time()
    inside = start <= at < end if start < end else (at >= start or at < end)
    if not inside:
        return None
    until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return until if until > local else until + timedelta(days=1)


def check_quiet(policy: PolicyInfo, now: datetime) -> None:
    until = quiet_until(policy, now)
    if until:
        raise GatewayError(
            403,
            f"Quiet hours: the assistant is resting until {time_format(until, 'H:i')}.",
            type="permission_error",
            code="quiet_hours",
            retry_after=int((until - now).total_seconds()) + 1,
        )


def next_midnight(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _tokens_key(member_id: int, now: datetime) -> str:
    return f"gateway:tokens:{member_id}:{timezone.localtime(now):%Y%m%d}"


def tokens_used_from_audit(member_id: int, now: datetime) -> int:
    from apps.gateway.models import AuditEntry

    since = next_midnight(now) - timedelta(days=1)
    total = AuditEntry.objects.filter(member_id=member_id, created__gte=since).aggregate(
        n=Sum(F("prompt_tokens") + F("completion_tokens"))
    )["n"]
    return total or 0


async def tokens_used(member_id: int, now: datetime) -> int:
    key, cache = _tokens_key(member_id, now), process_cache()
    used = cache.get(key)
    if used is None:
        used = await sync_to_async(in_thread, thread_sensitive=False)(tokens_used_from_audit, member_id, now)
        cache.add(key, used, 2 * DAY_SECONDS)
        used = cache.get(key, used)
    return used


def tokens_used_sync(member_id: int, now: datetime) -> int:
    used = process_cache().get(_tokens_key(member_id, now))
    return used if used is not None else tokens_used_from_audit(member_id, now)


def count_tokens(member_id: int, tokens: int, now: datetime) -> None:
    """Called after the audit row is written, so a rebuilt counter never counts twice."""
    if tokens <= 0:
        return
    # Not cached (ValueError): the next check rebuilds it from the audit log, which has this request.
    with contextlib.suppress(ValueError):
        process_cache().incr(_tokens_key(member_id, now), tokens)


async def check_budget(policy: PolicyInfo, who: Identity, now: datetime) -> None:
    if policy.daily_tokens is None:
        return
    if await tokens_used(who.member_id, now) >= policy.daily_tokens:
        reset = next_midnight(now)
        raise GatewayError(
            429,
            f"Today's budget of {policy.daily_tokens:,} tokens is used up. "
            f"It resets at midnight ({time_format(reset, 'H:i')}).",
            type="insufficient_quota",
            code="daily_budget_exceeded",
            retry_after=int((reset - now).total_seconds()) + 1,
        )


class StreamSlot:
    """Counts an open request against max_streams; release() exactly once."""

    def __init__(self, key: str | None) -> None:
        self.key = key

    def release(self) -> None:
        if self.key:
            key, self.key = self.key, None
            with contextlib.suppress(ValueError):
                process_cache().decr(key)


def take_stream(policy: PolicyInfo, who: Identity) -> StreamSlot:
    if policy.max_streams is None:
        return StreamSlot(None)
    key, cache = f"gateway:streams:{who.member_id}", process_cache()
    cache.add(key, 0, 3600)  # expires: a killed process cannot hold slots for ever
    if cache.incr(key) > policy.max_streams:
        cache.decr(key)
        raise GatewayError(
            429,
            f"You already have {policy.max_streams} answers coming. Wait for one to finish.",
            type="rate_limit_error",
            code="too_many_streams",
            retry_after=1,
        )
    return StreamSlot(key)
