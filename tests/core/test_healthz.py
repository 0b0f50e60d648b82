from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
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


def database_url() -> str:
    """The test database, as a URL a subprocess can use."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    user = conf["USER"] or "postgres"
    return f"postgres://{user}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{conf['NAME']}"


def broker_env() -> dict:
    """A Redis database of this test process's own, so parallel runs never share a queue."""
    if not settings.REDIS_URL:
        return {}
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    base = settings.REDIS_URL.rsplit("/", 1)[0] if settings.REDIS_URL.count("/") > 2 else settings.REDIS_URL
    return {"REDIS_URL": f"{base}/{15 - worker % 8}"}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_and_beat_keep_their_heartbeats_fresh(client, settings):
    settings.HEARTBEAT_STALE_SECONDS = 4  # what HOMEOPS_HEARTBEAT_SECONDS=1 gives the worker
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "HOMEOPS_HEARTBEAT_SECONDS": "1",
        **broker_env(),
    }
    celery = [sys.executable, "-m", "celery", "-A", "homeops"]
    worker = subprocess.Popen([*celery, "worker", "--pool", "solo", "--loglevel", "warning"], cwd=ROOT, env=env)
    beat = subprocess.Popen(
        [*celery, "beat", "--loglevel", "warning", "--schedule", str(Path(settings.DATA_DIR) / "beat-test")],
        cwd=ROOT,
        env=env,
    )
    try:
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
    finally:
        for process in (worker, beat):
            process.terminate()
        for process in (worker, beat):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
