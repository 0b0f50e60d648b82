"""Secrets never reach the logs, at DEBUG, in the web server or the worker (docs/alerts.md).

Planted: webhook URLs whose path and query carry tokens, and secrets the portal reads from
the environment by name. The web server (uvicorn, this process) sends "Send test", a real
Celery worker sends an alert and reports a message that carries the secrets; then the logs
are searched for every one of them."""

from __future__ import annotations

import copy
import logging.config
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from apps.notify.models import Delivery
from apps.status.models import Flip, Kind, Service, State
from homeops.asgi import application
from homeops.celery import app
from tests.conftest import signed_in
from tests.fixtures.celery_worker import broker_env, worker_and_beat
from tests.fixtures.uvicorn_server import UvicornServer

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DISCORD_TOKEN = "dc-Tok3n-" + "q7Wm2Rx9" * 6
HOOK_TOKEN = "hookTok3n-5b7d1e93"
FROM_ENVIRONMENT = {
    "EMAIL_HOST_PASSWORD": "mail-pass-4f9a2c7e",
    "HOMEOPS_METRICS_TOKEN": "metrics-tok-8e1b77d0",
    "SECRET_KEY": "sk-planted-0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t",
}
SECRETS = [DISCORD_TOKEN, HOOK_TOKEN, *FROM_ENVIRONMENT.values()]


@contextmanager
def web_log_at_debug(path: Path):
    """This process's logging as settings.LOGGING sets it up, at DEBUG, into a file."""
    config = copy.deepcopy(settings.LOGGING)
    config["root"]["level"] = "DEBUG"
    with path.open("w") as stream:
        config["handlers"]["console"]["stream"] = stream
        logging.config.dictConfig(config)
        try:
            yield
        finally:
            logging.config.dictConfig(settings.LOGGING)


def send_test(server: UvicornServer, client, channel_id: int) -> None:
    """Press "Send test" as the owner, through the real server (session and CSRF cookies)."""
    session = client.cookies["sessionid"].value
    with httpx.Client(timeout=20) as browser:
        page = browser.get(server.url(reverse("notify:channels")), headers={"Cookie": f"sessionid={session}"})
        assert page.status_code == 200
        csrf = page.cookies["csrftoken"]
        response = browser.post(
            server.url(reverse("notify:channel_test", args=[channel_id])),
            data={"csrfmiddlewaretoken": csrf},
            headers={"Cookie": f"sessionid={session}; csrftoken={csrf}"},
        )
        assert response.status_code == 302, response.text[:300]


def send_to_worker(name: str, **options) -> None:
    """Queue a task on the broker the worker fixture listens to (its own Redis database)."""
    url = broker_env().get("REDIS_URL")
    if not url:
        app.send_task(name, **options)
        return
    with app.connection_for_write(url) as connection:
        app.send_task(name, connection=connection, **options)


def wait_for(condition, seconds: float = 45) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def test_no_secret_reaches_the_web_or_worker_log_at_debug(client, alice, receiver, make_channel, tmp_path):
    discord = make_channel("Discord", "discord", url=receiver.url(f"/api/webhooks/123456789/{DISCORD_TOKEN}"))
    hook = make_channel("Hook", "webhook", url=receiver.url(f"/hook?token={HOOK_TOKEN}"))
    signed_in(client, alice)

    web_log = tmp_path / "web.log"
    with web_log_at_debug(web_log):
        server = UvicornServer(application, log_level="debug", log_config=None).start()
        try:
            send_test(server, client, discord.pk)
            send_test(server, client, hook.pk)
        finally:
            server.stop()
    assert len(receiver.received) == 2  # both tests arrived

    nas = Service.objects.create(name="nas", label="NAS", kind=Kind.TCP, check_config={"host": "x", "port": 1})
    Service.objects.filter(pk=nas.pk).update(state=State.DOWN, state_since=timezone.now())
    Flip.objects.create(service=nas, created=timezone.now(), old=State.UP, new=State.DOWN, reason="refused")
    with worker_and_beat(loglevel="debug", log_to=tmp_path, **FROM_ENVIRONMENT):
        send_to_worker("notify.send_alerts")
        wait_for(lambda: Delivery.objects.filter(ok=True).exclude(kind="test").count() >= 2)
        # A message the worker cannot run is logged with its whole body, at ERROR.
        send_to_worker("homeops.no_such_task", args=[*SECRETS, receiver.url(f"/api/webhooks/1/{DISCORD_TOKEN}")])
        wait_for(lambda: "no_such_task" in (tmp_path / "worker.log").read_text())
        time.sleep(0.5)
    assert len(receiver.received) == 4  # and both alerts

    logs = {name: (tmp_path / name).read_text() for name in ("web.log", "worker.log", "beat.log")}
    assert f'"POST /settings/channels/{discord.pk}/test/ HTTP/1.1" 302' in logs["web.log"]  # captured
    assert "DEBUG" in logs["worker.log"]  # the worker did log, at DEBUG
    assert "homeops.no_such_task" in logs["worker.log"]
    leaks = {name: [s for s in SECRETS if s in text] for name, text in logs.items()}
    assert leaks == {"web.log": [], "worker.log": [], "beat.log": []}
