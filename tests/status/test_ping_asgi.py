"""Pings through the ASGI application the README deploys: the short path before Django's
middleware must answer exactly as the Django view does."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

from apps.status.models import Kind, Service, State
from homeops.asgi import application
from tests.fixtures.ports import inside_one_minute

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
    app = ApplicationCommunicator(application, scope)
    await app.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await app.receive_output(timeout=10)
    content = await app.receive_output(timeout=10)
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
