from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.fixtures.celery_worker import worker_and_beat
from tests.fixtures.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_is_public_and_names_every_part(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "ok"
    assert report["database"]["ok"] is True
    assert report["broker"] == {"ok": True, "kind": "redis" if settings.REDIS_URL else "embedded"}
    assert report["worker"]["state"] == "never seen"
    assert report["beat"]["state"] == "never seen"


@pytest.mark.django_db
def test_healthz_is_503_and_names_the_broker_when_it_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "failing: broker"
    assert report["broker"]["ok"] is False
    assert "cannot reach the broker" in report["broker"]["error"]
    assert report["database"]["ok"] is True


@pytest.mark.django_db
def test_healthz_tells_nothing_secret(client, settings):
    text = client.get("/healthz").content.decode()
    for secret in (settings.SECRET_KEY, settings.CELERY_BROKER_URL, str(settings.DATABASES["default"]["NAME"])):
        assert secret not in text


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_and_beat_keep_their_heartbeats_fresh(client, settings):
    settings.HEARTBEAT_STALE_SECONDS = 4  # what HOMEOPS_HEARTBEAT_SECONDS=1 gives the worker
    with worker_and_beat(HOMEOPS_HEARTBEAT_SECONDS="1") as (worker, _beat):
        deadline = time.monotonic() + 60
        report = {}
        while time.monotonic() < deadline:
            report = json.loads(client.get("/healthz").content)
            if report["worker"]["state"] == "ok" and report["beat"]["state"] == "ok":
                break
            time.sleep(0.5)
        assert report["worker"]["state"] == "ok", report
        assert report["beat"]["state"] == "ok", report
        assert report["worker"]["age_seconds"] <= 4

        # The worker stops: its heartbeat ages past four beats and /healthz says so.
        worker.terminate()
        worker.wait(timeout=20)
        time.sleep(6)
        report = json.loads(client.get("/healthz").content)
        assert report["worker"]["state"] == "late", report
        assert report["worker"]["age_seconds"] > 4
