"""Where a ping's time goes, in-process (no HTTP server), on the bench DB: the one-statement
path as the ASGI handler runs it (async psycopg, its own pool), the same statement through
Django's connection (the view's path), the Python around it, the full path (ping_record) with
and without a state change, and the whole Django request through the test client.
Complements bench/pings.py, whose configuration e measures uvicorn's own share.

Usage: .venv/bin/python bench/ping_costs.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REDIS_URL, Meter, machine, reset_status_tables, setup_django, tree_state

setup_django(REDIS_URL=REDIS_URL)
reset_status_tables()
print(f"machine: {machine()}\ntree: {tree_state()}")
import asyncio
import uuid as _uuid
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.status import ping_asgi, services
from apps.status.models import Flip, Service

N = 20_000  # as bench/pings.py: settle() reads every service's state
now = timezone.now()
Service.objects.bulk_create(
    (
        Service(
            name=f"micro-hb-{i}",
            label="m",
            kind="heartbeat",
            ping_uuid=_uuid.uuid4(),
            state="up",
            last_ping_at=now - timedelta(minutes=1),
            last_ping_kind="success",
            message="pinged on time",
        )
        for i in range(N)
    ),
    batch_size=2000,
)
uu = [str(u) for u in Service.objects.values_list("ping_uuid", flat=True)]
uu_iter = iter(uu)


def per_ping(label: str, m: Meter, n: int) -> None:
    print(f"{label}: {m.wall / n * 1000:.3f} ms wall, {m.cpu / n * 1000:.3f} ms CPU per ping")


async def fast(batch: list[str], in_flight: int) -> None:
    """The ASGI handler's steps for a steady ping, minus HTTP: parse, one statement, check."""
    queue = list(batch)

    async def one_at_a_time() -> None:
        while queue:
            ping = services.ping_parse(ping_uuid=queue.pop(), signal="success", body=b"")
            pool = await ping_asgi._connection_pool()
            async with pool.connection() as conn:
                row = await (await conn.execute(*services.ping_fast_sql(ping=ping))).fetchone()
            assert services.ping_fast_done(ping=ping, row=row)

    await asyncio.gather(*(one_at_a_time() for _ in range(in_flight)))


async def fast_runs() -> None:
    await fast([next(uu_iter) for _ in range(200)], 8)  # warm: open the pool, prepare the statements
    for in_flight in (1, 8):
        batch = [next(uu_iter) for _ in range(2000)]
        with Meter() as m:
            await fast(batch, in_flight)
        per_ping(f"one-statement path, async psycopg pool, {in_flight} in flight", m, len(batch))
    await ping_asgi.close_pool()


asyncio.run(fast_runs())

batch = [next(uu_iter) for _ in range(2000)]
with Meter() as m:
    for u in batch:
        ping = services.ping_parse(ping_uuid=u, signal="success", body=b"")
        services.ping_fast_done(ping=ping, row=(1, ping.now, "success", None, 86400, 3600))
        services.ping_fast_sql(ping=ping)
per_ping("  of which the Python around the statement (parse, params, check)", m, len(batch))

batch = [next(uu_iter) for _ in range(1000)]
with Meter() as m:
    for u in batch:
        assert services.ping_answer(ping_uuid=u, signal="success", body=b"") == (200, "OK\n")
per_ping("the same statement through Django's connection (services.ping_answer, the view's path)", m, len(batch))

batch = [next(uu_iter) for _ in range(500)]
with Meter() as m:
    for u in batch:
        ping = services.ping_parse(ping_uuid=u, signal="success", body=b"")
        assert services.ping_record(ping=ping) == services.OK
per_ping("full path, no state change (services.ping_record: lock, count, UPDATE)", m, len(batch))

batch = [next(uu_iter) for _ in range(50)]
with Meter() as m:
    for u in batch:
        ping = services.ping_parse(ping_uuid=u, signal="fail", body=b"")
        assert services.ping_record(ping=ping) == services.OK
per_ping(f"full path, up -> down (ping_record + engine.settle over {N} services)", m, len(batch))
assert Flip.objects.count() == len(batch)

c = Client(HTTP_HOST="127.0.0.1")
batch = [next(uu_iter) for _ in range(500)]
for u in batch[:50]:
    assert c.get(f"/ping/{u}").status_code == 200
with Meter() as m:
    for u in batch[50:]:
        c.get(f"/ping/{u}")
per_ping("whole Django request (test client, middleware, the view's path)", m, len(batch) - 50)
connection.close()
