"""Pings in parallel through a real uvicorn: none lost, none counted twice, one Flip."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import pytest
from django.utils import timezone

from apps.status.models import Flip, Kind, Service, State
from homeops.asgi import application
from tests.fixtures.ports import inside_one_minute
from tests.fixtures.uvicorn_server import UvicornServer

pytestmark = pytest.mark.django_db(transaction=True)  # the server's threads and pool must see the rows


@pytest.fixture
def server():
    running = UvicornServer(application).start()
    yield running
    running.stop()


def make_heartbeats(n: int, **fields) -> list[Service]:
    return [
        Service.objects.create(name=f"job-{i}", label=f"Job {i}", kind=Kind.HEARTBEAT, ping_uuid=uuid.uuid4(), **fields)
        for i in range(n)
    ]


def send(server: UvicornServer, paths: list[str], connections: int = 20) -> list[int]:
    async def run() -> list[int]:
        connector = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(path: str) -> int:
                async with session.post(server.url(path), data=b"log", timeout=aiohttp.ClientTimeout(total=30)) as r:
                    await r.read()
                    return r.status

            return await asyncio.gather(*(one(p) for p in paths))

    return asyncio.run(run())


def test_parallel_pings_are_all_recorded_and_counted(server):
    jobs = make_heartbeats(4, state=State.UP, message="pinged on time", state_since=timezone.now())
    inside_one_minute(10)
    started = timezone.now()
    paths = [f"/ping/{job.ping_uuid}" for job in jobs for _ in range(50)]
    assert send(server, paths) == [200] * 200
    for job in Service.objects.filter(pk__in=[j.pk for j in jobs]):
        # Every increment landed: no two pings read the same count and wrote the same +1.
        assert job.ping_minute_count == 50
        assert job.last_ping_at >= started and job.last_ping_body == "log"
        assert job.state == State.UP
    assert not Flip.objects.exists()


def test_parallel_pings_over_the_limit_admit_exactly_sixty(server):
    (job,) = make_heartbeats(1)
    inside_one_minute(10)
    codes = send(server, [f"/ping/{job.ping_uuid}"] * 90)
    assert sorted(codes) == [200] * 60 + [429] * 30
    assert Service.objects.get(pk=job.pk).ping_minute_count == 60


def test_parallel_fail_pings_turn_it_down_once(server):
    (job,) = make_heartbeats(1, state=State.UP, message="pinged on time", state_since=timezone.now())
    inside_one_minute(10)
    assert send(server, [f"/ping/{job.ping_uuid}/fail"] * 30) == [200] * 30
    job.refresh_from_db()
    assert (job.state, job.ping_minute_count) == (State.DOWN, 30)
    assert list(Flip.objects.values_list("old", "new")) == [(State.UP, State.DOWN)]
