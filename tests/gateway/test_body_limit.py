"""/v1 reads at most BODY_LIMIT bytes of a request body: beyond it, 413 in OpenAI's error shape,
whether the client announced the size (Content-Length) or streamed it chunked without one,
and the backend is never asked. Through the real uvicorn the README deploys."""

from __future__ import annotations

import json

import pytest

from apps.gateway.v1_asgi import BODY_LIMIT
from tests.gateway.conftest import make_backend, make_route

pytestmark = pytest.mark.django_db(transaction=True)

CHUNK = 256 * 1024


@pytest.fixture
def assistant(llm, transactional_db):
    make_route("assistant", (make_backend("studio", llm), "llama3.1:8b"))


def question(size: int) -> bytes:
    """A valid chat request of exactly `size` bytes (the question padded with spaces)."""
    head = json.dumps({"model": "assistant", "messages": [{"role": "user", "content": "hi"}]}).encode()
    assert size >= len(head)
    return head[:-1] + b" " * (size - len(head)) + b"}"


def chunked(body: bytes):
    for start in range(0, len(body), CHUNK):
        yield body[start : start + CHUNK]


def assert_too_large(response) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": {
            "message": "The request body is larger than 8 MB.",
            "type": "invalid_request_error",
            "param": None,
            "code": "body_too_large",
        }
    }


def test_a_body_over_the_limit_with_its_length_announced_gets_413(raw, key_for, bob, assistant, llm):
    body = question(BODY_LIMIT + 1)
    response = raw.post(
        "/v1/chat/completions",
        content=body,
        headers={"Authorization": f"Bearer {key_for(bob)}", "Content-Type": "application/json"},
    )
    assert response.request.headers["content-length"] == str(BODY_LIMIT + 1)
    assert_too_large(response)
    assert llm.requests == []


def test_a_chunked_body_over_the_limit_gets_413(raw, key_for, bob, assistant, llm):
    response = raw.post(
        "/v1/chat/completions",
        content=chunked(question(BODY_LIMIT + CHUNK)),
        headers={"Authorization": f"Bearer {key_for(bob)}", "Content-Type": "application/json"},
    )
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.request.headers
    assert_too_large(response)
    assert llm.requests == []


@pytest.mark.parametrize("sent", ["announced", "chunked"])
def test_a_body_of_exactly_the_limit_is_answered(raw, key_for, bob, assistant, llm, sent):
    body = question(BODY_LIMIT)
    response = raw.post(
        "/v1/chat/completions",
        content=body if sent == "announced" else chunked(body),
        headers={"Authorization": f"Bearer {key_for(bob)}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["object"] == "chat.completion"
    assert len(llm.requests) == 1
