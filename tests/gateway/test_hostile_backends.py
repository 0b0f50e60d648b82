"""Backends that misbehave: error texts that quote the household's key, keep-alive comments
instead of tokens, chunks that are JSON but not OpenAI chunks; and hostile request bodies.
The gateway must answer every caller in OpenAI's shape, in its own words, and in time."""

from __future__ import annotations

import json
import logging
import time

import openai
import pytest

from apps.gateway import secrets, services
from apps.gateway.models import AuditEntry, Backend
from tests.gateway.conftest import api, make_backend, make_route, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
HELLO = [{"role": "user", "content": "hello"}]
HOUSEHOLD_KEY = "sk-proj-household-5f8a2c91d4e7b3"


def sse_lines(raw, key: str, body: dict) -> tuple[int, list[str]]:
    """The status and every non-empty line of a streamed /v1 answer, read to its end."""
    headers = {"Authorization": f"Bearer {key}"}
    with raw.stream("POST", "/v1/chat/completions", json={**body, "stream": True}, headers=headers) as response:
        return response.status_code, [line for line in response.iter_lines() if line]


# --- 4. A backend's error text ----------------------------------------------------------------


@pytest.mark.parametrize("failure", ["401", "500"])
def test_a_backend_error_that_quotes_the_key_reaches_nobody(raw, key_for, bob, llm, caplog, failure):
    caplog.set_level(logging.DEBUG)
    llm.echo_auth = True  # "Incorrect API key provided: Bearer sk-..." as some servers answer
    if failure == "401":
        llm.api_key = "sk-the-key-the-server-expects"
    else:
        llm.fail_status = 500
    studio = make_backend("studio", llm, api_key_encrypted=secrets.encrypt(HOUSEHOLD_KEY))
    make_route("assistant", (studio, "llama3.1:8b"))
    key = key_for(bob)
    whole = raw.post(
        "/v1/chat/completions",
        json={"model": "assistant", "messages": HELLO},
        headers={"Authorization": f"Bearer {key}"},
    )
    status, lines = sse_lines(raw, key, {"model": "assistant", "messages": HELLO})
    assert llm.requests[-1]["headers"]["Authorization"] == f"Bearer {HOUSEHOLD_KEY}"  # it did go upstream
    assert whole.status_code == status == 502
    message = whole.json()["error"]["message"]
    assert f"studio (llama3.1:8b): answered {failure}" in message  # the status and our own words
    assert "Incorrect" not in message and "crashed" not in message  # never the backend's text
    assert HOUSEHOLD_KEY not in whole.text and HOUSEHOLD_KEY not in "".join(lines)
    assert wait_for(lambda: AuditEntry.objects.filter(status=502).count() == 2)
    assert all(HOUSEHOLD_KEY not in entry.error for entry in AuditEntry.objects.all())
    # The owner's page keeps what the backend said, with the key taken out.
    services.backend_refresh_models(Backend.objects.get(name="studio"))
    models_error = Backend.objects.get(name="studio").models_error
    assert f"answered {failure}" in models_error and HOUSEHOLD_KEY not in models_error
    assert "Bearer [hidden]" in models_error
    assert HOUSEHOLD_KEY not in caplog.text


def test_scrub_takes_out_keys_tokens_and_url_credentials():
    from homeops.redact import scrub

    text = (
        "Incorrect API key provided: Bearer abc.DEF-123_xyz. Also sk-proj-4f9aXk2LmQ8r and hops-Zk39fLq0aBcD, "
        "see https://admin:hunter2@studio.home.arpa:11434/v1; yours is my-own-secret; model llama3.1:8b."
    )
    cleaned = scrub(text, known=("my-own-secret",), foreign=True)  # a backend's text
    for secret in ("abc.DEF-123_xyz", "sk-proj-4f9aXk2LmQ8r", "hops-Zk39fLq0aBcD", "hunter2", "my-own-secret"):
        assert secret not in cleaned
    assert "https://[hidden]@studio.home.arpa:11434/v1" in cleaned and "llama3.1:8b" in cleaned
    assert "Bearer [hidden]" in cleaned


# --- 6. Keep-alive comments instead of a first token ----------------------------------------


def test_keep_alive_comments_do_not_hold_back_the_fallback(gateway_url, key_for, bob, llm, macbook):
    llm.first_delay, llm.keep_alive = 600, 0.3  # a comment every 0.3 s, never a token
    studio = make_backend("studio", llm, timeout=1)
    make_route("assistant", (studio, "llama3.1:8b"), (make_backend("macbook", macbook), "llama3.2:3b"))
    client = api(gateway_url, key_for(bob))
    started = time.monotonic()
    response = client.chat.completions.with_raw_response.create(model="assistant", messages=HELLO, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in response.parse() if c.choices)
    assert text.startswith("Thequick") and response.headers["x-homeops-backend"] == "macbook"
    assert time.monotonic() - started < 5  # the comments would go on for 600 s
    entry = wait_for(lambda: AuditEntry.objects.filter(status=200).first())
    assert entry.fallback and entry.backend == "macbook"


@pytest.mark.parametrize("stream", [True, False])
def test_keep_alive_bytes_do_not_hold_back_the_fallback_streamed_or_whole(
    gateway_url, key_for, bob, llm, macbook, stream
):
    # Streamed, ": keep-alive" comments; whole, spaces before the JSON (as some proxies send).
    # Each resets the socket's read timeout: only the backend's timeout on the whole wait ends it.
    llm.first_delay, llm.keep_alive = 600, 0.3
    studio = make_backend("studio", llm, timeout=1)
    make_route("assistant", (studio, "llama3.1:8b"), (make_backend("macbook", macbook), "llama3.2:3b"))
    started = time.monotonic()
    response = api(gateway_url, key_for(bob)).chat.completions.with_raw_response.create(
        model="assistant", messages=HELLO, stream=stream
    )
    assert response.headers["x-homeops-backend"] == "macbook" and time.monotonic() - started < 5
    entry = wait_for(lambda: AuditEntry.objects.filter(status=200).first())
    assert entry.fallback and entry.backend == "macbook"
    assert wait_for(lambda: llm.endings == ["client left"])  # the studio's connection was dropped


def test_keep_alive_comments_alone_are_a_timeout(gateway_url, key_for, bob, llm):
    llm.first_delay, llm.keep_alive = 600, 0.3
    make_route("assistant", (make_backend("studio", llm, timeout=1), "llama3.1:8b"))
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as slow:
        api(gateway_url, key_for(bob)).chat.completions.create(model="assistant", messages=HELLO, stream=True)
    assert slow.value.status_code == 504 and "no answer within 1 s" in slow.value.message
    assert time.monotonic() - started < 5  # the comments would go on for 600 s


def test_keep_alive_comments_mid_answer_do_not_hold_it_open(raw, key_for, bob, llm):
    llm.token_delay, llm.keep_alive = 600, 0.3  # "The", then only comments
    make_route("assistant", (make_backend("studio", llm, timeout=1), "llama3.1:8b"))
    started = time.monotonic()
    status, lines = sse_lines(raw, key_for(bob), {"model": "assistant", "messages": HELLO})
    assert status == 200 and time.monotonic() - started < 5
    error = json.loads(lines[-1][6:])["error"]
    assert error["code"] == "stream_interrupted" and "no answer within 1 s" in error["message"]
    entry = wait_for(lambda: AuditEntry.objects.filter(status=502).first())
    assert "after 1 tokens" in entry.error


# --- 7. Malformed chunks --------------------------------------------------------------------

MALFORMED = [
    b"data: 5\n\n",
    b"data: []\n\n",
    b'data: "text"\n\n',
    b'data: {"choices": 5}\n\n',
    b'data: {"choices": [null]}\n\n',
    b'data: {"choices": [{"delta": 5}]}\n\n',
    b'data: {"choices": [{"delta": {"content": 5}}]}\n\n',
    b'data: {"choices": [], "usage": {"prompt_tokens": "many"}}\n\n',
    b'data: {"choices": [], "usage": {"prompt_tokens": 1' + b"0" * 30 + b"}}\n\n",  # past the audit row's column
    b"data: \xff\xfe\x00{\n\n",
    b'data: {"choices": [{"delta": {"content": "\\ud800"}}]}\n\n',  # a lone surrogate: no database takes it
    b"data: " + b"[" * 100_000 + b"\n\n",
]


@pytest.mark.parametrize("chunk", MALFORMED, ids=lambda c: c[6:30].decode("latin-1").strip())
def test_a_malformed_chunk_ends_the_stream_with_an_error_event(raw, key_for, bob, llm, macbook, chunk):
    llm.raw_at, llm.raw = 2, chunk  # "The", "quick", then the bad chunk instead of "brown"
    make_route(
        "assistant", (make_backend("studio", llm), "llama3.1:8b"), (make_backend("macbook", macbook), "llama3.2:3b")
    )
    status, lines = sse_lines(raw, key_for(bob), {"model": "assistant", "messages": HELLO})
    assert status == 200
    chunks = [json.loads(line[6:]) for line in lines]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks[:-1]) == "Thequick"
    assert chunks[-1]["error"]["code"] == "stream_interrupted"  # the last line: no [DONE] after it
    assert set(chunks[-1]["error"]) == {"message", "type", "param", "code"}
    assert macbook.requests == []  # the client had the Studio's words: no second answer
    entry = wait_for(lambda: AuditEntry.objects.filter(endpoint="chat.completions").first())
    assert entry.status == 502 and "after 2 tokens" in entry.error and entry.backend == "studio"


@pytest.mark.parametrize("chunk", MALFORMED[:3], ids=lambda c: c[6:30].decode("latin-1").strip())
def test_a_malformed_chunk_before_the_first_token_falls_back(gateway_url, key_for, bob, llm, macbook, chunk):
    llm.raw_at, llm.raw = 0, chunk  # the role chunk, then the bad one instead of the first word
    make_route(
        "assistant", (make_backend("studio", llm), "llama3.1:8b"), (make_backend("macbook", macbook), "llama3.2:3b")
    )
    response = api(gateway_url, key_for(bob)).chat.completions.with_raw_response.create(
        model="assistant", messages=HELLO, stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in response.parse() if c.choices).startswith("Thequick")
    assert response.headers["x-homeops-backend"] == "macbook"


@pytest.mark.parametrize("body", [b"5", b"[]", b'{"choices": 5}', b'{"choices": [{"message": 5}]}', b"[" * 100_000])
def test_a_malformed_whole_answer_falls_back(gateway_url, key_for, bob, llm, macbook, body):
    llm.whole_raw = body
    make_route(
        "assistant", (make_backend("studio", llm), "llama3.1:8b"), (make_backend("macbook", macbook), "llama3.2:3b")
    )
    answer = api(gateway_url, key_for(bob)).chat.completions.create(model="assistant", messages=HELLO)
    assert answer.choices[0].message.content.startswith("The quick")
    macbook.whole_raw = body
    with pytest.raises(openai.InternalServerError) as failed:
        api(gateway_url, key_for(bob)).chat.completions.create(model="assistant", messages=HELLO)
    assert failed.value.status_code == 502
    assert wait_for(lambda: AuditEntry.objects.filter(status=502).exists())


# --- Hostile request bodies -----------------------------------------------------------------


def test_a_lone_surrogate_loses_no_audit_row(raw, key_for, bob, llm):
    from apps.accounts.roles import Role
    from tests.conftest import make_member

    services.gateway_settings_log_content(on=True, by=make_member("alice", Role.OWNER))
    make_route("assistant", (make_backend("studio", llm), "llama3.1:8b"))
    headers = {"Authorization": f"Bearer {key_for(bob)}", "Content-Type": "application/json"}
    for body in (
        {"model": "assistant\ud800", "messages": HELLO},  # an unknown alias, kept in the row
        {"model": "assistant", "messages": [{"role": "user", "content": "hi \ud800"}]},  # kept content
    ):
        response = raw.post("/v1/chat/completions", content=json.dumps(body).encode(), headers=headers)
        assert response.status_code in (200, 404)
    rows = AuditEntry.objects.filter(endpoint="chat.completions").order_by("id")
    assert wait_for(lambda: rows.count() == 2)
    assert [row.status for row in rows] == [404, 200]
    assert rows[0].alias == "assistant?" and rows[1].prompt_tokens > 0


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 100_000])
def test_deeply_nested_json_is_a_400(raw, key_for, bob, body):
    response = raw.post("/v1/chat/completions", content=body, headers={"Authorization": f"Bearer {key_for(bob)}"})
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_more_than_one_choice_is_refused(gateway_url, key_for, bob, llm):
    make_route("assistant", (make_backend("studio", llm), "llama3.1:8b"))
    client = api(gateway_url, key_for(bob))
    for stream in (False, True):
        with pytest.raises(openai.BadRequestError) as many:
            client.chat.completions.create(model="assistant", messages=HELLO, n=64, stream=stream)
        assert many.value.param == "n" and many.value.status_code == 400
    assert llm.requests == []  # refused before any backend was asked
    assert client.chat.completions.create(model="assistant", messages=HELLO, n=1).choices[0].message.content
