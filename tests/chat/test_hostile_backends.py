"""The chat in front of misbehaving backends: a key quoted in an error text, keep-alive
comments instead of tokens, a malformed chunk mid-answer."""

from __future__ import annotations

import logging
import time

import pytest

from apps.chat.models import Message
from apps.gateway import secrets
from apps.gateway.models import AuditEntry
from tests.chat.test_chat import browser, events, tokens
from tests.gateway.conftest import make_backend, make_route, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
HOUSEHOLD_KEY = "sk-proj-household-5f8a2c91d4e7b3"


def test_a_backend_error_that_quotes_the_key_is_not_shown(gateway_url, bob, llm, caplog):
    caplog.set_level(logging.DEBUG)
    llm.echo_auth, llm.api_key = True, "sk-the-key-the-server-expects"
    make_route("assistant", (make_backend("studio", llm, api_key_encrypted=secrets.encrypt(HOUSEHOLD_KEY)), "m"))
    client = browser(gateway_url, bob)
    started = client.post("/chat/send/", data={"text": "hi"}).json()
    seen = events(client, started["stream"])
    assert seen[-1][0] == "error" and HOUSEHOLD_KEY not in str(seen)
    entry = wait_for(lambda: AuditEntry.objects.filter(endpoint="chat").first())
    assert entry.status == 502 and "answered 401" in entry.error and HOUSEHOLD_KEY not in entry.error
    assert HOUSEHOLD_KEY not in caplog.text


def test_keep_alive_comments_do_not_hold_back_the_fallback(gateway_url, bob, llm, macbook):
    llm.first_delay, llm.keep_alive = 600, 0.3
    make_route(
        "assistant",
        (make_backend("studio", llm, timeout=1), "llama3.1:8b"),
        (make_backend("macbook", macbook), "llama3.2:3b"),
    )
    client = browser(gateway_url, bob)
    started = client.post("/chat/send/", data={"text": "hi"}).json()
    began = time.monotonic()
    seen = events(client, started["stream"])
    assert tokens(seen).startswith("Thequick") and seen[-1][1]["state"] == "done"
    assert time.monotonic() - began < 5


@pytest.mark.parametrize("chunk", [b"data: 5\n\n", b'data: {"choices": [{"delta": {"content": "\\ud800"}}]}\n\n'])
def test_a_malformed_chunk_leaves_the_answer_cut_off(gateway_url, bob, llm, chunk):
    llm.raw_at, llm.raw = 2, chunk
    make_route("assistant", (make_backend("studio", llm), "llama3.1:8b"))
    client = browser(gateway_url, bob)
    started = client.post("/chat/send/", data={"text": "hi"}).json()
    seen = events(client, started["stream"])
    assert tokens(seen) == "Thequick" and seen[-1][0] == "done" and seen[-1][1]["state"] == "cut"
    assert Message.objects.get(pk=started["answer_id"]).state == Message.State.CUT
    entry = wait_for(lambda: AuditEntry.objects.filter(endpoint="chat").first())
    assert entry.status == 502 and "after 2 tokens" in entry.error
