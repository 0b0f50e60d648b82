"""What a /v1 request waits for before its first token (bench/README.md, gateway tail): no new
Redis connection per request, and no database read for data that is merely old."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
import redis

from apps.accounts.roles import Role
from apps.gateway import policy, snapshot
from apps.gateway.models import Route
from apps.status.models import Kind, Service, State
from tests.gateway.conftest import wait_for


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


@pytest.mark.django_db(transaction=True)  # the thread reads what the test wrote
def test_old_states_are_served_while_a_thread_reads_them_again():
    studio = Service.objects.create(name="studio-ollama", label="Studio", kind=Kind.OLLAMA, state=State.DOWN)
    assert asyncio.run(snapshot.service_states())[studio.pk][0] == State.DOWN  # the first read is waited for
    Service.objects.filter(pk=studio.pk).update(state=State.UP)
    loaded_at, states = snapshot._states
    snapshot._states = (loaded_at - snapshot.STATES_TTL - 1, states)

    assert asyncio.run(snapshot.service_states())[studio.pk][0] == State.DOWN  # not waited for
    assert wait_for(lambda: snapshot._states[1][studio.pk][0] == State.UP)


@pytest.mark.django_db(transaction=True)
def test_an_old_snapshot_is_served_while_a_thread_loads_it_again_and_a_new_version_is_waited_for():
    route = Route.objects.create(alias="assistant", description="before")
    assert asyncio.run(snapshot.current()).routes["assistant"].description == "before"
    Route.objects.filter(pk=route.pk).update(description="after")  # no signal: the version stays
    snapshot._current = dataclasses.replace(snapshot._current, loaded_at=time.monotonic() - snapshot.MAX_AGE - 1)

    assert asyncio.run(snapshot.current()).routes["assistant"].description == "before"
    assert wait_for(lambda: snapshot._current.routes["assistant"].description == "after")

    Route.objects.filter(pk=route.pk).update(description="changed")
    snapshot.bump()  # what a save's signal does
    assert asyncio.run(snapshot.current()).routes["assistant"].description == "changed"
