"""Where a ping's time goes, in-process (no HTTP server), on the bench DB: the whole Django
request with persistent connections, a new DB connection, the rate limit's Redis calls with
a new or a reused client, and services.ping_record alone. Complements bench/pings.py.

Usage: .venv/bin/python bench/ping_costs.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REDIS_URL, Meter, machine, reset_status_tables, setup_django, tree_state

setup_django(REDIS_URL=REDIS_URL)
reset_status_tables()
print(f"machine: {machine()}\ntree: {tree_state()}")
import uuid as _uuid
from datetime import timedelta

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.status.models import Service

if Service.objects.filter(kind="heartbeat").count() < 1000:
    now = timezone.now()
    Service.objects.bulk_create(
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
        for i in range(1000)
    )
uu = [str(u) for u in Service.objects.filter(kind="heartbeat").values_list("ping_uuid", flat=True)[:1000]]
c = Client(HTTP_HOST="127.0.0.1")
for u in uu[:50]:
    assert c.get(f"/ping/{u}").status_code == 200
with Meter() as m:
    for u in uu[50:550]:
        c.get(f"/ping/{u}")
print(
    f"in-process, persistent connections, 1 thread: {m.wall / 500 * 1000:.2f} ms wall, {m.cpu / 500 * 1000:.2f} ms CPU per ping"
)
with Meter() as m:
    for _ in range(50):
        connection.close()
        connection.ensure_connection()
print(f"new Django DB connection: {m.wall / 50 * 1000:.2f} ms wall, {m.cpu / 50 * 1000:.2f} ms CPU each")
from django.conf import settings

with Meter() as m:
    for i in range(50):
        cache = RedisCache(settings.CACHES["default"]["LOCATION"], {"KEY_PREFIX": "homeops"})
        cache.get_or_set(f"bench-micro:{i}", 0, 120)
        cache.incr(f"bench-micro:{i}")
print(f"new RedisCache + get_or_set + incr: {m.wall / 50 * 1000:.2f} ms wall, {m.cpu / 50 * 1000:.2f} ms CPU each")
cache = caches["default"]
with Meter() as m:
    for i in range(50):
        cache.get_or_set(f"bench-micro2:{i}", 0, 120)
        cache.incr(f"bench-micro2:{i}")
print(f"reused RedisCache get_or_set + incr: {m.wall / 50 * 1000:.2f} ms wall, {m.cpu / 50 * 1000:.2f} ms CPU each")
from apps.status import services

with Meter() as m:
    for u in uu[600:800]:
        services.ping_record(ping_uuid=u, signal="success")
print(f"ping_record alone: {m.wall / 200 * 1000:.2f} ms wall, {m.cpu / 200 * 1000:.2f} ms CPU each")
