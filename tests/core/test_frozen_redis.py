"""Redis frozen by SIGSTOP (it accepts connections and never answers): /healthz says so within
3 s, holds no database connection while it waits, and the pages that use the cache or the
broker still answer in bounded time. Requests go to a real uvicorn with their own timeouts,
so a hang fails the test instead of stalling the run."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.conftest import PASSWORD
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.uvicorn_server import UvicornServer

pytestmark = pytest.mark.django_db(transaction=True)  # the server's threads see the test's rows


@pytest.fixture(scope="module")
def live():
    from homeops.asgi import application  # static files are collected first (tests/conftest.py)

    server = UvicornServer(application).start()
    yield server
    server.stop()


@pytest.fixture
def redis(redis_server: RedisServer) -> RedisServer:
    return redis_server


def get(live: UvicornServer, path: str, **kwargs) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.get(live.url(path), timeout=30, **kwargs)
    return response, time.monotonic() - started


def test_healthz_names_a_frozen_broker_within_3_seconds(live, redis, settings):
    settings.CELERY_BROKER_URL = redis.url
    assert get(live, "/healthz")[0].status_code == 200
    redis.freeze()
    response, took = get(live, "/healthz")
    assert took < 3
    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "failing: broker"
    assert report["broker"] == {"ok": False, "kind": "redis", "error": "broker not answering"}
    assert report["database"]["ok"] is True


def test_ten_healthz_at_once_leave_the_pages_answering(live, redis, settings, bob):
    """Each /healthz used to hold a pooled database connection while it waited for the
    broker: ten of them took all eight and every page answered 500."""
    settings.CELERY_BROKER_URL = redis.url
    browser = Client()
    browser.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    cookies = {django_settings.SESSION_COOKIE_NAME: browser.cookies[django_settings.SESSION_COOKIE_NAME].value}
    redis.freeze()
    with ThreadPoolExecutor(max_workers=10) as pool:
        probes = [pool.submit(get, live, "/healthz") for _ in range(10)]
        time.sleep(0.3)  # all ten are waiting for the broker now
        page, took = get(live, "/", cookies=cookies)
        assert page.status_code == 200
        assert took < 3
        for probe in probes:
            response, took = probe.result()
            assert response.status_code == 503 and took < 3


def test_sign_in_answers_while_the_cache_is_frozen(live, redis, settings, bob):
    """allauth counts sign-ins in the cache; a frozen one costs a bounded wait, not the page."""
    settings.CACHES = {"default": {"BACKEND": "homeops.cache.ResilientRedisCache", "LOCATION": redis.url}}
    settings.CSRF_COOKIE_SECURE = settings.SESSION_COOKIE_SECURE = False  # plain http to 127.0.0.1
    redis.freeze()
    with httpx.Client(base_url=live.url(""), timeout=30) as browser:
        started = time.monotonic()
        form = browser.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        signed_in = browser.post(
            "/accounts/login/",
            data={"login": "bob", "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": live.url("/accounts/login/")},
        )
        took = time.monotonic() - started
        assert signed_in.status_code == 302, signed_in.text[:500]
        assert browser.get("/").status_code == 200
    assert took < 3


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="the broker's socket options are set with REDIS_URL")
def test_publishing_to_a_frozen_broker_gives_up_in_bounded_time(redis):
    """Beat and the worker (the notify tasks) publish with the settings' transport options."""
    from homeops.celery import app

    redis.freeze()
    outcome: list[BaseException | None] = []

    def publish() -> None:
        try:
            with app.connection_for_write(redis.url) as connection:
                app.send_task("core.heartbeat", connection=connection)
            outcome.append(None)
        except Exception as exc:
            outcome.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=publish, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the publish still waits after 30 s"
    assert isinstance(outcome[0], Exception)  # the caller is told, and can retry later
    assert time.monotonic() - started < 15
