"""Pings through the ASGI application the README deploys: the short path before Django's
middleware must answer exactly as the Django view does."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.db import connection
from django.utils import timezone

from apps.status import engine
from apps.status.models import Flip, Kind, Service, State
from homeops.asgi import application
from tests.fixtures.ports import free_port, inside_one_minute

pytestmark = pytest.mark.django_db(transaction=True)  # the handler's own thread must see the rows
HEADERS: dict[str, dict[bytes, bytes]] = {}


def call(path: str, *, method: str = "GET", body: bytes = b"") -> tuple[int, bytes]:
    return async_to_sync(_call)(path, method=method, body=body)


async def _call(path: str, *, method: str, body: bytes) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    # As uvicorn does: lifespan startup, the request, lifespan shutdown (which closes the
    # ping path's connections: every call runs in an event loop of its own).
    life = ApplicationCommunicator(application, {"type": "lifespan", "asgi": {"version": "3.0"}})
    await life.send_input({"type": "lifespan.startup"})
    assert (await life.receive_output(timeout=10))["type"] == "lifespan.startup.complete"
    app = ApplicationCommunicator(application, scope)
    await app.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await app.receive_output(timeout=10)
    content = await app.receive_output(timeout=10)
    await app.wait(timeout=10)  # let the application finish (Django closes the request body after answering)
    await life.send_input({"type": "lifespan.shutdown"})
    assert (await life.receive_output(timeout=10))["type"] == "lifespan.shutdown.complete"
    HEADERS[path] = {name.lower(): value for name, value in start["headers"]}
    return start["status"], content["body"]


@pytest.fixture
def backup():
    return Service.objects.create(name="offsite", label="Off-site", kind=Kind.HEARTBEAT, ping_uuid=uuid.uuid4())


def test_a_ping_takes_the_short_path_and_is_recorded(backup):
    assert call(f"/ping/{backup.ping_uuid}", method="POST", body=b"42 files") == (200, b"OK\n")
    # Answered before Django's middleware, which stamps every response it handles.
    assert b"x-frame-options" not in HEADERS[f"/ping/{backup.ping_uuid}"]
    service = Service.objects.get(pk=backup.pk)
    assert service.state == State.UP and service.last_ping_body == "42 files"
    assert call(f"/ping/{str(backup.ping_uuid).upper()}/fail") == (200, b"OK\n")
    assert Service.objects.get(pk=backup.pk).state == State.DOWN


def test_unknown_uuid_and_the_rate_limit(backup):
    assert call(f"/ping/{uuid.uuid4()}") == (404, b"Not found\n")
    inside_one_minute()
    codes = [call(f"/ping/{backup.ping_uuid}/start")[0] for _ in range(61)]
    assert codes[-1] == 429 and codes[:60] == [200] * 60


def test_other_addresses_still_go_through_django(backup):
    status, body = call("/healthz")
    assert status == 200 and b'"database"' in body
    assert HEADERS["/healthz"][b"x-frame-options"] == b"DENY"
    status, _ = call("/status/")
    assert status == 302  # sign-in required: the middleware ran


def minute_now():
    return timezone.now().replace(second=0, microsecond=0)


def test_the_rate_limit_is_counted_in_the_row_and_rolls_over_each_minute(backup):
    inside_one_minute()
    Service.objects.filter(pk=backup.pk).update(ping_minute=minute_now(), ping_minute_count=59)
    assert call(f"/ping/{backup.ping_uuid}") == (200, b"OK\n")
    row = Service.objects.get(pk=backup.pk)
    assert (row.ping_minute, row.ping_minute_count) == (minute_now(), 60)
    # Over the limit: refused and not recorded.
    assert call(f"/ping/{backup.ping_uuid}/fail") == (429, b"Too many pings\n")
    row = Service.objects.get(pk=backup.pk)
    assert row.ping_minute_count == 60 and row.last_ping_kind == "success" and row.state == State.UP
    # The full minute before does not hold the next one back: the count starts again at 1.
    Service.objects.filter(pk=backup.pk).update(ping_minute=minute_now() - timedelta(minutes=1))
    assert call(f"/ping/{backup.ping_uuid}/fail") == (200, b"OK\n")
    row = Service.objects.get(pk=backup.pk)
    assert (row.ping_minute, row.ping_minute_count) == (minute_now(), 1)
    assert row.state == State.DOWN


def test_a_fail_ping_turns_it_down_at_once_with_one_flip(backup):
    assert call(f"/ping/{backup.ping_uuid}") == (200, b"OK\n")
    assert call(f"/ping/{backup.ping_uuid}/fail", method="POST", body=b"disk full") == (200, b"OK\n")
    assert call(f"/ping/{backup.ping_uuid}/3") == (200, b"OK\n")  # still down: no new flip
    service = Service.objects.get(pk=backup.pk)
    assert (service.state, service.message) == (State.DOWN, "the last run exited with status 3")
    assert service.last_ping_kind == "3" and service.last_ping_body == ""
    flips = list(Flip.objects.filter(service=backup).order_by("created").values_list("old", "new", "reason"))
    assert flips == [
        (State.UNKNOWN, State.UP, "pinged on time"),
        (State.UP, State.DOWN, "the last run reported a failure"),
    ]
    assert call(f"/ping/{backup.ping_uuid}/0") == (200, b"OK\n")  # recovered
    assert Flip.objects.filter(service=backup).first().new == State.UP


def test_a_steady_ping_takes_no_thread_and_no_django_connection(backup):
    call(f"/ping/{backup.ping_uuid}")  # unknown -> up: the full path
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is Postgres' (SQLite takes the full path)")
    before = connection.pool.get_stats()["requests_num"]
    assert call(f"/ping/{backup.ping_uuid}/start") == (200, b"OK\n")
    assert call(f"/ping/{backup.ping_uuid}") == (200, b"OK\n")
    assert connection.pool.get_stats()["requests_num"] == before
    service = Service.objects.get(pk=backup.pk)
    assert (service.state, service.message, service.ping_minute_count) == (State.UP, "pinged on time", 3)
    assert service.last_start_at < service.last_ping_at


def test_unknown_and_malformed_uuids_are_404(backup):
    assert call(f"/ping/{uuid.uuid4()}/fail") == (404, b"Not found\n")
    assert call("/ping/" + "-" * 36) == (404, b"Not found\n")
    assert call("/ping/" + "f" * 36 + "/start") == (404, b"Not found\n")
    polled = Service.objects.create(name="web", label="Web", kind=Kind.HTTP, ping_uuid=uuid.uuid4())
    assert call(f"/ping/{polled.ping_uuid}") == (404, b"Not found\n")  # not a heartbeat


def test_the_body_is_capped_and_kept_even_with_nul_bytes(backup):
    assert call(f"/ping/{backup.ping_uuid}", method="POST", body=b"a\x00b" + b"x" * 20_000) == (200, b"OK\n")
    kept = Service.objects.get(pk=backup.pk).last_ping_body
    assert len(kept) == 10_000 and kept.startswith("a\ufffdbxxx")
    assert call(f"/ping/{backup.ping_uuid}/start", method="PUT", body=b"ignored") == (200, b"OK\n")
    assert Service.objects.get(pk=backup.pk).last_ping_body == kept  # /start keeps no body


def test_a_body_in_chunks_is_capped_and_the_rest_drained(backup):
    async def chunked() -> tuple[int, bytes]:
        scope = {"type": "http", "method": "POST", "path": f"/ping/{backup.ping_uuid}", "headers": []}
        app = ApplicationCommunicator(application, scope)
        for _ in range(5):
            await app.send_input({"type": "http.request", "body": b"y" * 4_000, "more_body": True})
        await app.send_input({"type": "http.request", "body": b"end", "more_body": False})
        start = await app.receive_output(timeout=10)
        content = await app.receive_output(timeout=10)
        from apps.status import ping_asgi

        await ping_asgi.close_pool()
        return start["status"], content["body"]

    assert async_to_sync(chunked)() == (200, b"OK\n")
    assert Service.objects.get(pk=backup.pk).last_ping_body == "y" * 10_000


def test_a_run_too_short_for_min_duration_is_down(backup):
    Service.objects.filter(pk=backup.pk).update(min_duration=60, state=State.UP, message="pinged on time")
    assert call(f"/ping/{backup.ping_uuid}/start") == (200, b"OK\n")
    assert call(f"/ping/{backup.ping_uuid}") == (200, b"OK\n")
    service = Service.objects.get(pk=backup.pk)
    assert (service.state, service.last_ping_kind) == (State.DOWN, "short")
    assert service.message == "the last run finished too fast to have done its work"


def test_a_paused_heartbeat_records_pings_and_keeps_its_state(backup):
    from apps.status.services import service_pause

    service_pause(service=backup, paused=True)
    assert call(f"/ping/{backup.ping_uuid}/fail") == (200, b"OK\n")
    service = Service.objects.get(pk=backup.pk)
    assert (service.state, service.last_ping_kind) == (State.PAUSED, "fail")
    assert service.message == "the last run reported a failure"


def test_a_start_stamped_in_the_future_is_judged_as_the_full_path_would(backup):
    # Another machine's clock ahead: the prediction misses, and the row is judged again.
    Service.objects.filter(pk=backup.pk).update(
        state=State.UP, message="running now", last_start_at=timezone.now() + timedelta(minutes=5)
    )
    assert call(f"/ping/{backup.ping_uuid}") == (200, b"OK\n")
    service = Service.objects.get(pk=backup.pk)
    assert (service.state, service.message) == engine.judge_heartbeat(service, now=timezone.now())
    assert service.message == "running now" and service.last_ping_kind == "success"


def test_pings_are_recorded_with_redis_down(backup, settings):
    settings.CACHES = {
        "default": {"BACKEND": "homeops.cache.ResilientRedisCache", "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}
    }
    assert call(f"/ping/{backup.ping_uuid}", method="POST", body=b"ok") == (200, b"OK\n")
    assert call(f"/ping/{backup.ping_uuid}/fail") == (200, b"OK\n")
    assert Service.objects.get(pk=backup.pk).state == State.DOWN
