"""The logging filter (homeops/redact.py) on the handler settings.LOGGING sets up: secrets the
portal has read are replaced by their variable's name, credentials in any URL by [hidden],
whatever the logger, the level, or whether they sit in the message or a traceback."""

from __future__ import annotations

import copy
import io
import logging
import logging.config
import secrets

import pytest
from django.conf import settings

from apps.gateway import secrets as backend_keys
from apps.gateway import services as gateway_services
from apps.gateway.models import Backend
from apps.notify import services as notify_services
from apps.notify.events import Event
from apps.notify.models import Channel
from apps.notify.transports.discord import DiscordTransport
from apps.status.kinds import base as check_kinds
from homeops import env, redact
from tests.fixtures.http_server import LocalHTTPServer
from tests.notify.conftest import Receiver, Reply

NOTICE = Event(kind="down", title="The NAS is down", text="The NAS is down.", created="2026-12-02T19:00:00+00:00")


@pytest.fixture
def log():
    """settings.LOGGING at DEBUG, into a buffer; returns a function that reads it."""
    config = copy.deepcopy(settings.LOGGING)
    config["root"]["level"] = "DEBUG"
    buffer = io.StringIO()
    config["handlers"]["console"]["stream"] = buffer
    logging.config.dictConfig(config)
    yield buffer.getvalue
    logging.config.dictConfig(settings.LOGGING)


def token(prefix: str) -> str:
    return f"{prefix}-{secrets.token_urlsafe(18)}"


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("POST https://discord.com/api/webhooks/1234567/AbC-dEf_123.xyz?wait=true", "/api/webhooks/1234567/[hidden]?"),
        ("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX failed", "hooks.slack.com/services/[hidden] failed"),
        ("GET https://user:hunter22@nas.home.arpa:5001/webapi", "https://[hidden]@nas.home.arpa:5001/webapi"),
        ("GET https://ghp_abcdef123456@git.example/x", "https://[hidden]@git.example/x"),
        ("GET /feed.ics?token=s3cr3t-value&x=1", "?token=[hidden]&x=1"),
        ("GET /api?apikey=abcdef123&KEY=zzzzzz99", "?apikey=[hidden]&KEY=[hidden]"),
        ("https://ntfy.example/topic?auth=QmVhcmVyIHRr", "?auth=[hidden]"),
        ("Authorization: Bearer sk-live-abcdef0123456789", "Authorization: Bearer [hidden]"),
        ("authorization: basic dXNlcjpwYXNzd29yZA==", "authorization: basic [hidden]"),
        ("{'Authorization': 'Token 9f8e7d6c5b4a'}", "{'Authorization': 'Token [hidden]'}"),
        ("sent bearer abcdef123456 upstream", "sent bearer [hidden] upstream"),
    ],
)
def test_credentials_in_any_url_are_hidden(line, shown):
    assert shown in redact.scrub(line)


def test_ordinary_lines_are_left_alone():
    line = (
        "Task notify.deliver[1f0c] succeeded in 0.02s; GET /status/nas/?page=2 200; keyboard=en; "
        "token budget exceeded; Basic settings saved; postgres://db.home.arpa/homeops"
    )
    assert redact.scrub(line) == line


def test_a_secret_read_by_name_is_replaced_by_the_name_at_every_level(monkeypatch, log):
    value = token("mail")
    monkeypatch.setenv("HOMEOPS_TEST_MAIL_PASSWORD", value)
    assert env.secret("HOMEOPS_TEST_MAIL_PASSWORD") == value
    logger = logging.getLogger("some.library")
    logger.debug("login with %s", value)
    logger.error("login failed for %r", {"password": value})
    try:
        raise RuntimeError(f"server said: bad password {value}")
    except RuntimeError:
        logger.exception("sending mail failed")
    text = log()
    assert value not in text
    assert text.count("$HOMEOPS_TEST_MAIL_PASSWORD") == 3  # in both messages, and in the traceback


def test_secret_key_and_the_database_password_are_never_logged(log):
    logging.getLogger("x").warning("key %s", settings.SECRET_KEY)
    assert settings.SECRET_KEY not in log() and "$SECRET_KEY" in log()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOMEOPS_TEST_DB_URL", "postgres://homeops:db-pass-0xq@db.home.arpa/homeops")
        env.url("HOMEOPS_TEST_DB_URL", ("postgres",))
    logging.getLogger("x").warning("could not use db-pass-0xq")
    assert "db-pass-0xq" not in log()


def test_secrets_read_at_use_are_hidden_from_then_on(monkeypatch, log, db):
    # A channel's URL (its token alone too), a check's key, a backend's key (decrypted or named).
    webhook_token = token("hook")
    monkeypatch.setenv("HOMEOPS_TEST_DISCORD_URL", f"https://discord.example/api/hooks/{webhook_token}")
    DiscordTransport(Channel(name="d", kind="discord", url_env="HOMEOPS_TEST_DISCORD_URL")).secret_url()
    check_key = token("check")
    monkeypatch.setenv("HOMEOPS_TEST_CHECK_KEY", check_key)
    check_kinds.secret_from_env("HOMEOPS_TEST_CHECK_KEY", "api_key_env")
    stored_key = token("sk")
    backend_keys.backend_api_key(encrypted=backend_keys.encrypt(stored_key), env_name="")
    for value in (webhook_token, check_key, stored_key):
        logging.getLogger("aiohttp.client").warning("echo: %s", value)
    text = log()
    assert webhook_token not in text and check_key not in text and stored_key not in text
    assert "$HOMEOPS_TEST_CHECK_KEY" in text


def test_the_http_clients_are_kept_to_warnings_and_uvicorn_goes_through_the_filter(log, monkeypatch):
    # As `uvicorn --log-level info` sets it (an in-process uvicorn of an earlier test may have
    # left it at WARNING, which LOGGING does not reset).
    access = logging.getLogger("uvicorn.access")
    monkeypatch.setattr(access, "level", access.level)  # put back after the test
    access.setLevel(logging.INFO)
    logging.getLogger("httpx").info("HTTP Request: POST https://discord.com/api/webhooks/1/tok")
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/cal.ics?token=abcdef1234", "1.1", 200
    )
    text = log()
    assert "HTTP Request" not in text
    assert '"GET /cal.ics?token=[hidden] HTTP/1.1" 200' in text


def test_a_secret_reads_the_same_on_the_owners_page_in_the_log_and_in_a_delivery_error(monkeypatch, log, db):
    # One text, as a backend, a log line and a webhook receiver might each quote it: a secret
    # HomeOps read by name, a bearer token and a URL password it never read.
    named = token("sk")
    monkeypatch.setenv("HOMEOPS_TEST_SHARED_KEY", named)
    env.secret("HOMEOPS_TEST_SHARED_KEY")
    said = f"refused Authorization: Bearer {token('tok')} at https://admin:{token('pw')}@studio.home.arpa/v1 ({named})"
    shown = "refused Authorization: Bearer [hidden] at https://[hidden]@studio.home.arpa/v1 ($HOMEOPS_TEST_SHARED_KEY)"

    backend_server = LocalHTTPServer().start()
    receiver = Receiver().start()
    try:
        backend_server.answer("/v1/models", status=500, body=said)
        studio = Backend.objects.create(name="studio", kind="openai", base_url=backend_server.url("/v1"), timeout=5)
        gateway_services.backend_refresh_models(studio)  # the owner's Settings → Gateway line
        monkeypatch.setenv("HOMEOPS_TEST_HOOK_URL", receiver.reply("/hook", Reply(500, said)))
        hook = Channel.objects.create(name="Hook", kind="webhook", url_env="HOMEOPS_TEST_HOOK_URL")
        delivery, _ = notify_services.delivery_attempt(channel_id=hook.pk, event=NOTICE)
    finally:
        backend_server.stop()
        receiver.stop()
    logging.getLogger("apps.anything").warning("the backend said: %s", said)

    assert studio.models_error == f"answered 500 (it failed on its side): {shown}"
    assert delivery.error == f"the receiver answered 500 Internal Server Error: {shown}"
    assert f"the backend said: {shown}" in log()
