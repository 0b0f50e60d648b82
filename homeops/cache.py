"""Redis as a cache that may go away: when it does not answer, reads miss and writes are
dropped as if they had worked (logged at most once a minute), so sign-in rate limits never
turn into error pages. /healthz still reports the broker (the same Redis) as failing. (Pings do
not use the cache: their rate limit is counted in the database.)

Every call is bounded by a socket timeout, whatever the settings say: a frozen Redis (SIGSTOP,
swapped out) accepts connections and never answers. After a call fails, the cache skips Redis
for SKIP_SECONDS, so a frozen Redis costs one wait per process per window rather than one per
call: the gateway calls the cache on its event loop (apps/gateway/policy.py, snapshot.py),
where every wait also holds up every other request of the process."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
T = TypeVar("T")
TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}  # seconds; OPTIONS may lower them
SKIP_SECONDS = 5.0
_last_warning = 0.0
# Per LOCATION, so that one unreachable Redis does not switch off another.
_skip_until: dict[str, float] = {}


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, {**params, "OPTIONS": {**TIMEOUTS, **params.get("OPTIONS", {})}})
        self._location = server if isinstance(server, str) else ",".join(server)

    def _or(self, fallback: T, call: Callable[[], T]) -> T:
        global _last_warning
        if time.monotonic() < _skip_until.get(self._location, 0.0):
            return fallback
        try:
            return call()
        except (RedisConnectionError, RedisTimeoutError):
            _skip_until[self._location] = time.monotonic() + SKIP_SECONDS
            if time.monotonic() - _last_warning > 60:
                _last_warning = time.monotonic()
                log.warning("Redis does not answer: the cache is skipped, so rate limits are off until it is back")
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._or(default, lambda: super(ResilientRedisCache, self).get(key, default, version))

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        return self._or({}, lambda: super(ResilientRedisCache, self).get_many(keys, version))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._or(False, lambda: super(ResilientRedisCache, self).has_key(key, version))

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._or(None, lambda: super(ResilientRedisCache, self).set(key, value, timeout, version))

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        # True: callers take a failed add for a lock someone else holds (allauth's rate limit
        # then refuses the sign-in); with Redis gone there is no one else.
        return self._or(True, lambda: super(ResilientRedisCache, self).add(key, value, timeout, version))

    def set_many(self, data: dict, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list:
        return self._or([], lambda: super(ResilientRedisCache, self).set_many(data, timeout, version))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._or(False, lambda: super(ResilientRedisCache, self).touch(key, timeout, version))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self._or(delta, lambda: super(ResilientRedisCache, self).incr(key, delta, version))

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._or(False, lambda: super(ResilientRedisCache, self).delete(key, version))

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._or(None, lambda: super(ResilientRedisCache, self).delete_many(keys, version))


# --- One cache object per process, for the event loop ------------------------------------

_process_cache: BaseCache | None = None


def process_cache() -> BaseCache:
    """The default cache as one object per process. Django's `cache` is one object per thread
    and, under ASGI, per request (it lives in a context variable): each /v1 request made a new
    Redis connection pool and connected, a TCP connect and the client's handshake on the event
    loop before its first token, tens of milliseconds when the cores are busy (bench/README.md,
    gateway tail). redis-py's pool is thread-safe, and the file cache keeps no state."""
    global _process_cache
    if _process_cache is None:
        _process_cache = caches.create_connection(DEFAULT_CACHE_ALIAS)
    return _process_cache


@receiver(setting_changed)
def _forget_process_cache(setting: str, **kwargs) -> None:
    global _process_cache
    if setting == "CACHES":  # tests point the cache elsewhere
        _process_cache = None
