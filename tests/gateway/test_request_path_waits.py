"""What a /v1 request waits for before its first token (bench/README.md, gateway tail): no new
Redis connection per request."""

from __future__ import annotations

import asyncio

import redis

from apps.accounts.roles import Role
from apps.gateway import policy, snapshot


def connections_received(url: str) -> int:
    with redis.Redis.from_url(url) as client:
        return client.info("stats")["total_connections_received"]


def test_requests_share_one_redis_connection(settings, redis_server):
    """Django's `cache` is one object per asyncio task under ASGI: each request connected anew."""
    settings.CACHES = {"default": {"BACKEND": "homeops.cache.ResilientRedisCache", "LOCATION": redis_server.url}}
    who = snapshot.Identity(member_id=1, username="bob", role=Role.FAMILY)
    rules = snapshot.PolicyInfo(max_streams=3)

    async def one_request() -> None:
        policy.take_stream(rules, who).release()

    async def requests() -> None:
        for _ in range(20):
            await asyncio.create_task(one_request())  # uvicorn runs each request as a task

    before = connections_received(redis_server.url)
    asyncio.run(requests())
    assert connections_received(redis_server.url) - before <= 2  # the gateway's one, and this count's own
