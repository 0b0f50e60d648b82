"""What the request path needs, read from the database once and kept in memory.

/v1 must not pay for database reads per request (bench/README.md), so each process keeps an
immutable Snapshot of backends, routes, policies and API keys. Every write service that changes
one of them announces it (announce(), which bumps a version in the shared cache once the change
is committed; signals.py does it for members); a request reads that one value and reloads on a
mismatch.
The snapshot also expires after MAX_AGE, which covers a cache that lost the version; the
version itself is asked at most once a second.
Service states from the status board are read at most every STATES_TTL seconds.
Only a change of version makes a request wait for a load: data that is merely old is
read again on a thread while requests go on with it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as clock
from typing import TypeGuard

from asgiref.sync import sync_to_async
from django.db import close_old_connections, transaction

from apps.accounts.roles import Role, role_in_groups
from homeops.cache import process_cache

log = logging.getLogger(__name__)
VERSION_KEY = "gateway:config-version"
MAX_AGE = 30.0
VERSION_EVERY = 1.0
STATES_TTL = 5.0


@dataclass(frozen=True)
class BackendInfo:
    id: int
    name: str
    kind: str
    base_url: str
    timeout: float
    service_id: int | None
    api_key: str = ""
    key_problem: str = ""  # why the key cannot be used, in words

    @property
    def openai_root(self) -> str:
        """Where the OpenAI-compatible API lives: Ollama serves it under /v1."""
        root = self.base_url.rstrip("/")
        return f"{root}/v1" if self.kind == "ollama" else root


@dataclass(frozen=True)
class TargetInfo:
    backend: BackendInfo
    model: str
    max_tokens: int
    context_tokens: int


@dataclass(frozen=True)
class RouteInfo:
    alias: str
    workload: str
    description: str
    targets: tuple[TargetInfo, ...]


@dataclass(frozen=True)
class PolicyInfo:
    aliases: frozenset[str] | None = None  # None: every alias
    daily_tokens: int | None = None
    max_streams: int | None = None
    quiet_from: clock | None = None
    quiet_until: clock | None = None
    system_prompts: dict[str, str] = field(default_factory=dict)


NOTHING = PolicyInfo(aliases=frozenset())
# Without a policy row: the owner and the family may use every alias; a caretaker none.
DEFAULT_POLICIES = {Role.OWNER: PolicyInfo(), Role.FAMILY: PolicyInfo(), Role.CARETAKER: NOTHING}


@dataclass(frozen=True)
class Identity:
    member_id: int
    username: str
    role: Role | None
    api_key_id: int | None = None
    access_from: datetime | None = None
    access_until: datetime | None = None

    def window_open(self, now: datetime) -> bool:
        return not (self.access_from and now < self.access_from) and not (
            self.access_until and now >= self.access_until
        )


def identity_for(user) -> Identity:
    """A signed-in member, for the chat app's in-process calls (no API key)."""
    from apps.accounts.roles import role_of

    return Identity(user.pk, user.get_username(), role_of(user))


@dataclass(frozen=True)
class Snapshot:
    version: str | None
    loaded_at: float
    routes: dict[str, RouteInfo]
    role_policies: dict[str, PolicyInfo]
    member_policies: dict[int, dict]  # only the fields the member's row sets
    keys: dict[str, Identity]  # sha256 of the key -> who
    log_content: bool

    def policy_for(self, member_id: int, role: Role | None) -> PolicyInfo:
        if role is None:
            return NOTHING
        base = self.role_policies.get(role) or DEFAULT_POLICIES.get(role, NOTHING)
        override = self.member_policies.get(member_id)
        if not override:
            return base
        merged = {name: getattr(base, name) for name in PolicyInfo.__dataclass_fields__}
        merged.update(override)
        return PolicyInfo(**merged)


def _backend_info(backend) -> BackendInfo:
    from apps.gateway import secrets

    info = dict(
        id=backend.pk,
        name=backend.name,
        kind=backend.kind,
        base_url=backend.base_url,
        timeout=backend.timeout,
        service_id=backend.service_id,
    )
    try:
        return BackendInfo(
            **info, api_key=secrets.backend_api_key(encrypted=backend.api_key_encrypted, env_name=backend.api_key_env)
        )
    except secrets.KeyUnreadable as exc:
        return BackendInfo(**info, key_problem=str(exc))


def _policy_fields(row, *, partial: bool) -> dict:
    values = {
        "aliases": None if row.aliases is None else frozenset(row.aliases),
        "daily_tokens": row.daily_tokens,
        "max_streams": row.max_streams,
        "quiet_from": row.quiet_from,
        "quiet_until": row.quiet_until,
        "system_prompts": dict(row.system_prompts or {}),
    }
    if partial:  # a member's row: empty fields come from the role's policy
        values = {k: v for k, v in values.items() if v not in (None, {})}
    return values


def load(version: str | None) -> Snapshot:
    from apps.accounts.models import Member
    from apps.gateway.models import ApiKey, GatewaySettings, Policy, Route

    backends: dict[int, BackendInfo] = {}
    routes = {}
    for route in Route.objects.prefetch_related("targets__backend"):
        targets = []
        for target in route.targets.all():
            if target.backend_id not in backends:
                backends[target.backend_id] = _backend_info(target.backend)
            targets.append(
                TargetInfo(backends[target.backend_id], target.model, target.max_tokens, target.context_tokens)
            )
        routes[route.alias] = RouteInfo(route.alias, route.workload, route.description, tuple(targets))
    role_policies, member_policies = {}, {}
    for row in Policy.objects.all():
        if row.member_id:
            member_policies[row.member_id] = _policy_fields(row, partial=True)
        else:
            role_policies[row.role] = PolicyInfo(**_policy_fields(row, partial=False))
    windows = {m.user_id: (m.access_from, m.access_until) for m in Member.objects.all()}
    keys = {}
    active = ApiKey.objects.filter(revoked_at=None, member__is_active=True).select_related("member")
    for key in active.prefetch_related("member__groups"):
        user = key.member
        role = role_in_groups(user)
        keys[key.hashed] = Identity(user.pk, user.get_username(), role, key.pk, *windows.get(user.pk, (None, None)))
    log_content = GatewaySettings.objects.filter(pk=1, log_content=True).exists()
    return Snapshot(version, time.monotonic(), routes, role_policies, member_policies, keys, log_content)


def in_thread(function, *args):
    """Run on an executor thread, then hand its connection back (CONN_MAX_AGE=0 / the pool)."""
    try:
        return function(*args)
    finally:
        close_old_connections()


_running: set[str] = set()
_running_lock = threading.Lock()
# One thread, started once: Thread.start() waits until the new thread runs, which on busy
# cores took as long as the read it was meant to spare the request.
_reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-reread")


def in_background(name: str, function, *args) -> None:
    """Run `function` on the reader thread, unless it is already queued or running there.
    Data that is merely old is served while it is read again: a request that waited for the
    read (a thread hop and a query) waited tens of milliseconds for its first token when the
    cores were busy (bench/README.md, gateway tail)."""
    with _running_lock:
        if name in _running:
            return
        _running.add(name)

    def run() -> None:
        try:
            in_thread(function, *args)
        except Exception:  # the next request tries again; say why this one failed
            log.exception("gateway: reading the %s again failed", name)
        finally:
            with _running_lock:
                _running.discard(name)

    _reader.submit(run)


_current: Snapshot | None = None


def bump() -> None:
    """Every process reloads: this one on its next request, the others within VERSION_EVERY."""
    global _current, _version_seen
    process_cache().set(VERSION_KEY, uuid.uuid4().hex, None)
    _current, _version_seen = None, (0.0, None)


def announce() -> None:
    """Called by every write service of something the request path reads: after the commit
    (another process must not reload before it can see the change), once per transaction
    however many rows it wrote, never when it rolls back."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(callback is bump for _, callback, _ in connection.run_on_commit):
        return
    transaction.on_commit(bump)


def _fresh(snapshot: Snapshot | None, version: str | None) -> TypeGuard[Snapshot]:
    return snapshot is not None and snapshot.version == version and time.monotonic() - snapshot.loaded_at < MAX_AGE


_version_seen: tuple[float, str | None] = (0.0, None)


def _shared_version() -> str | None:
    """The version in the shared cache, asked at most every VERSION_EVERY seconds: a Redis
    round trip on the event loop cost ~2.5 ms per request and queued concurrent ones
    (bench/README.md). A change made in this process applies at once (bump() clears
    `_current`); other processes see it within VERSION_EVERY."""
    global _version_seen
    asked_at, version = _version_seen
    if time.monotonic() - asked_at >= VERSION_EVERY:
        version = process_cache().get(VERSION_KEY)
        _version_seen = (time.monotonic(), version)
    return version


async def current() -> Snapshot:
    """A snapshot of another version is never served: the request waits for the load. One that
    is only older than MAX_AGE is, while a thread reloads it."""
    global _current
    version = _shared_version()
    snapshot = _current
    if snapshot is None or snapshot.version != version:
        snapshot = _current = await sync_to_async(in_thread, thread_sensitive=False)(load, version)
    elif not _fresh(snapshot, version):
        in_background("snapshot", _reload, snapshot)
    return snapshot


def _reload(old: Snapshot) -> None:
    global _current
    fresh = load(old.version)
    if _current is old:  # a bump or a load of a newer version meanwhile wins
        _current = fresh


def current_sync() -> Snapshot:
    """The same, for synchronous callers (pages)."""
    global _current
    version = _shared_version()
    if not _fresh(_current, version):
        _current = load(version)
    return _current


# --- Status-board states of the services that watch backends ------------------------------

_states: tuple[float, dict[int, tuple[str, datetime | None, str]]] = (0.0, {})
_states_generation = 0  # forget_states() counts up: a read begun before it is dropped


def _load_states() -> dict[int, tuple[str, datetime | None, str]]:
    from apps.status.models import Service

    rows = Service.objects.values_list("pk", "state", "state_since", "label")
    return {pk: (state, since, label) for pk, state, since, label in rows}


async def service_states() -> dict[int, tuple[str, datetime | None, str]]:
    """Read once and waited for; after that older than STATES_TTL is served while a thread
    reads them again."""
    global _states
    loaded_at, states = _states
    if not loaded_at:
        states = await sync_to_async(in_thread, thread_sensitive=False)(_load_states)
        _states = (time.monotonic(), states)
    elif time.monotonic() - loaded_at > STATES_TTL:
        in_background("states", _reload_states, _states_generation)
    return states


def _reload_states(generation: int) -> None:
    global _states
    started, states = time.monotonic(), _load_states()
    if generation == _states_generation:
        _states = (started, states)


def forget_states() -> None:
    global _states, _states_generation
    _states, _states_generation = (0.0, {}), _states_generation + 1
