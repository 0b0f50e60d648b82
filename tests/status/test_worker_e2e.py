"""End to end: a real Celery worker and beat poll a local HTTP server through the broker;
the server stops and the board says so."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from apps.status.models import Kind, Service, State
from tests.conftest import signed_in
from tests.fixtures.celery_worker import worker_and_beat

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for_state(name: str, state: str, seconds: float = 45) -> Service:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        service = Service.objects.get(name=name)
        if service.state == state:
            return service
        time.sleep(0.3)
    raise AssertionError(f"{name} stayed {service.state} ({service.message!r}), expected {state}")


def test_the_worker_polls_and_the_board_shows_down_when_the_server_stops(client, bob, http_server):
    Service.objects.create(
        name="web",
        label="Photo library",
        kind=Kind.HTTP,
        check_config={"url": http_server.answer("/health")},
        interval=1,
        timeout=1,
        retries=0,
    )
    with worker_and_beat(HOMEOPS_STATUS_TICK_SECONDS="1"):
        wait_for_state("web", State.UP)
        assert http_server.hits["/health"] >= 1
        http_server.stop()
        down = wait_for_state("web", State.DOWN)
    assert "refused the connection" in down.message
    html = signed_in(client, bob).get(reverse("status:index")).content.decode()
    assert "Photo library" in html
    assert '<span class="badge bad">Down</span>' in html
    assert "Photo library is down since" in html
