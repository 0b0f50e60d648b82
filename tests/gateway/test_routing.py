"""Routing: fallback before the first token, never after; the status board's view of the
backends; timeouts; a client that leaves cancels the backend's work."""

from __future__ import annotations

import time

import httpx
import openai
import pytest
from django.utils import timezone

from apps.gateway import secrets
from apps.gateway.models import AuditEntry
from apps.status.models import Kind, Service, State
from tests.fixtures.ports import free_port
from tests.gateway.conftest import api, make_backend, make_route, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
HELLO = [{"role": "user", "content": "hello"}]


def text_of(stream) -> str:
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def test_a_backend_that_refuses_falls_back_to_the_next(gateway_url, key_for, bob, macbook):
    studio = make_backend("studio", url=f"http://127.0.0.1:{free_port()}/v1")
    make_route("assistant", (studio, "llama3.1:8b"), (make_backend("macbook", macbook), "llama3.2:3b"))
    response = api(gateway_url, key_for(bob)).chat.completions.with_raw_response.create(
        model="assistant", messages=HELLO, stream=True
    )
    assert response.headers["x-homeops-backend"] == "macbook" and response.headers["x-homeops-fallback"] == "true"
    assert text_of(response.parse()).startswith("Thequick")
    entry = wait_for(lambda: AuditEntry.objects.filter(status=200).first())
    assert entry.fallback and entry.backend == "macbook" and entry.model == "llama3.2:3b"


@pytest.mark.parametrize("failure", ["500", "slow start", "missing model"])
def test_failures_before_the_first_token_fall_back(gateway_url, key_for, bob, llm, macbook, failure):
    if failure == "500":
        llm.fail_status = 500
    elif failure == "slow start":
        llm.first_delay = 3
    studio = make_backend("studio", llm, timeout=1)
    model = "not-pulled-yet" if failure == "missing model" else "llama3.1:8b"
    make_route("assistant", (studio, model), (make_backend("macbook", macbook), "llama3.2:3b"))
    answer = api(gateway_url, key_for(bob)).chat.completions.create(model="assistant", messages=HELLO, stream=True)
    assert text_of(answer).startswith("Thequick")
    assert len(macbook.requests) == 1


def test_no_retry_after_the_first_byte(gateway_url, key_for, bob, llm, macbook):
    llm.cut_after = 3
    make_route(
        "assistant", (make_backend("studio", llm), "llama3.1:8b"), (make_backend("macbook", macbook), "llama3.2:3b")
    )
    stream = api(gateway_url, key_for(bob)).chat.completions.create(model="assistant", messages=HELLO, stream=True)
    received = []
    with pytest.raises(openai.APIError, match="cut off"):
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "Thequickbrown"
    assert macbook.requests == []  # the client already had the Studio's words: no second answer
    entry = wait_for(lambda: AuditEntry.objects.filter(status=502).first())
    assert entry.completion_tokens == 3 and "after 3 tokens" in entry.error and entry.backend == "studio"


def test_the_status_board_decides_without_asking_the_backend(gateway_url, key_for, bob, llm, macbook):
    watch = Service.objects.create(
        name="studio-ollama",
        label="Chat assistant (Studio)",
        kind=Kind.OLLAMA,
        state=State.DOWN,
        state_since=timezone.now(),
    )
    studio = make_backend("studio", llm, service=watch)
    make_route("assistant", (studio, "llama3.1:8b"), (make_backend("macbook", macbook), "llama3.2:3b"))
    answer = api(gateway_url, key_for(bob)).chat.completions.create(model="assistant", messages=HELLO)
    assert answer.choices[0].message.content.startswith("The quick")
    assert llm.requests == []  # skipped: no probe on the request path
    macbook.fail_status = 503
    with pytest.raises(openai.InternalServerError) as every:
        api(gateway_url, key_for(bob)).chat.completions.create(model="assistant", messages=HELLO)
    assert every.value.status_code == 502
    message = every.value.message
    assert "the status board holds Chat assistant (Studio) down since" in message
    assert "macbook (llama3.2:3b): answered 503 (it failed on its side)" in message
    assert "crashed" not in message  # the backend's own words are for the owner's pages only


def test_every_target_down_on_the_board_is_503_and_names_them(gateway_url, key_for, bob, llm):
    watch = Service.objects.create(name="studio-ollama", label="Studio", kind=Kind.OLLAMA, state=State.UNREACHABLE)
    make_route("assistant", (make_backend("studio", llm, service=watch), "llama3.1:8b"))
    with pytest.raises(openai.InternalServerError) as down:
        api(gateway_url, key_for(bob)).chat.completions.create(model="assistant", messages=HELLO, stream=True)
    assert down.value.status_code == 503 and "studio: the status board holds Studio unreachable" in down.value.message


def test_every_target_too_slow_is_504(gateway_url, key_for, bob, llm):
    llm.first_delay = 3
    make_route("assistant", (make_backend("studio", llm, timeout=1), "llama3.1:8b"))
    with pytest.raises(openai.APIStatusError) as slow:
        api(gateway_url, key_for(bob)).chat.completions.create(model="assistant", messages=HELLO, stream=True)
    assert slow.value.status_code == 504 and "no answer within 1 s" in slow.value.message


def test_a_client_that_leaves_cancels_the_backend_at_once(gateway_url, key_for, bob, llm):
    llm.token_delay = 0.3
    make_route("assistant", (make_backend("studio", llm), "llama3.1:8b"))
    body = {"model": "assistant", "messages": HELLO, "stream": True}
    headers = {"Authorization": f"Bearer {key_for(bob)}"}
    with (
        httpx.Client(timeout=10) as client,
        client.stream("POST", f"{gateway_url}/v1/chat/completions", json=body, headers=headers) as r,
    ):
        lines = r.iter_lines()
        seen = [next(lines) for _ in range(4)]  # the role chunk and "The", with their blank lines
        left_at = time.monotonic()
    assert seen[0].startswith("data: ")
    assert wait_for(lambda: llm.endings == ["client left"], timeout=3)
    assert time.monotonic() - left_at < 1.5  # well before the 14 tokens x 0.3 s would have ended
    entry = wait_for(lambda: AuditEntry.objects.filter(status=499).first())
    assert "the client went away" in entry.error


def test_ollama_is_normalised(gateway_url, key_for, bob, ollama):
    ollama.reasoning = True
    make_route("assistant", (make_backend("studio", ollama), "llama3.1:8b"))
    client = api(gateway_url, key_for(bob))
    ids, reasoning = set(), ""
    for _ in range(2):
        stream = client.chat.completions.create(
            model="assistant", messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
        chunks = list(stream)
        ids |= {c.id for c in chunks}
        reasoning += "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks if c.choices)
        usage = chunks[-1].usage
        assert usage.completion_tokens == 15 and usage.prompt_tokens > 0  # counted: Ollama sent none
    assert len(ids) == 2  # Ollama said chatcmpl-123 both times
    assert reasoning == "Thinking.Thinking."
    assert ollama.requests[-1]["path"] == "/v1/chat/completions"


def test_the_backend_key_goes_upstream_and_a_missing_one_is_named(gateway_url, key_for, bob, llm, macbook, monkeypatch):
    llm.api_key = "sk-studio-secret"
    studio = make_backend("studio", llm, api_key_encrypted=secrets.encrypt("sk-studio-secret"))
    laptop = make_backend("macbook", macbook, api_key_env="HOMEOPS_TEST_MACBOOK_KEY")
    make_route("assistant", (studio, "llama3.1:8b"))
    make_route("quick", (laptop, "llama3.2:3b"))
    client = api(gateway_url, key_for(bob))
    assert client.chat.completions.create(model="assistant", messages=HELLO).choices[0].message.content
    assert llm.requests[-1]["headers"]["Authorization"] == "Bearer sk-studio-secret"
    with pytest.raises(openai.InternalServerError, match="HOMEOPS_TEST_MACBOOK_KEY is not set"):
        client.chat.completions.create(model="quick", messages=HELLO)
    assert not AuditEntry.objects.filter(error__contains="sk-studio-secret").exists()


@pytest.mark.parametrize("stream", [True, False])
def test_a_target_down_after_the_one_that_answers_is_no_fallback(gateway_url, key_for, bob, llm, macbook, stream):
    # The MacBook asleep behind the Studio: the Studio's answers are ordinary ones.
    asleep = Service.objects.create(name="macbook-ollama", label="MacBook", kind=Kind.OLLAMA, state=State.DOWN)
    studio = make_backend("studio", llm)
    make_route("assistant", (studio, "llama3.1:8b"), (make_backend("macbook", macbook, service=asleep), "llama3.2:3b"))
    response = api(gateway_url, key_for(bob)).chat.completions.with_raw_response.create(
        model="assistant", messages=HELLO, stream=stream
    )
    assert response.headers["x-homeops-backend"] == "studio" and "x-homeops-fallback" not in response.headers
    entry = wait_for(lambda: AuditEntry.objects.filter(status=200).first())
    assert not entry.fallback


@pytest.mark.parametrize("stream", [True, False])
def test_a_target_down_before_the_one_that_answers_is_a_fallback(gateway_url, key_for, bob, llm, macbook, stream):
    asleep = Service.objects.create(name="studio-ollama", label="Studio", kind=Kind.OLLAMA, state=State.DOWN)
    studio = make_backend("studio", llm, service=asleep)
    make_route("assistant", (studio, "llama3.1:8b"), (make_backend("macbook", macbook), "llama3.2:3b"))
    response = api(gateway_url, key_for(bob)).chat.completions.with_raw_response.create(
        model="assistant", messages=HELLO, stream=stream
    )
    assert response.headers["x-homeops-backend"] == "macbook" and response.headers["x-homeops-fallback"] == "true"
    entry = wait_for(lambda: AuditEntry.objects.filter(status=200).first())
    assert entry.fallback
