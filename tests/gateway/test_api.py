"""/v1 through uvicorn with the official openai client: streaming and not, models,
embeddings, and each error status in OpenAI's shape."""

from __future__ import annotations

import openai
import pytest

from apps.accounts.roles import Role
from apps.gateway.models import AuditEntry
from tests.conftest import make_member
from tests.gateway.conftest import api, make_backend, make_route, policy, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def family(transactional_db):
    return make_member("bob", Role.FAMILY)


@pytest.fixture
def assistant(llm, transactional_db):
    studio = make_backend("studio", llm)
    make_route("assistant", (studio, "llama3.1:8b"), max_tokens=6)
    return studio


def test_a_streamed_answer_arrives_chunk_by_chunk_in_openai_format(gateway_url, key_for, family, assistant, llm):
    client = api(gateway_url, key_for(family))
    stream = client.chat.completions.create(
        model="assistant",
        messages=[{"role": "user", "content": "Tell me about foxes"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Thequickbrownfoxjumpsover"  # max_tokens=6 of the target reached the backend
    assert len({c.id for c in chunks}) == 1 and chunks[0].id.startswith("chatcmpl-")
    assert all(c.model == "assistant" for c in chunks)
    usage = chunks[-1].usage
    assert chunks[-1].choices == [] and (usage.prompt_tokens, usage.completion_tokens) == (11, 6)
    sent = llm.requests[-1]["body"]
    assert sent["model"] == "llama3.1:8b" and sent["max_tokens"] == 6 and sent["stream"] is True
    entry = wait_for(lambda: AuditEntry.objects.filter(status=200).first())
    assert (entry.member, entry.alias, entry.backend, entry.model) == (family, "assistant", "studio", "llama3.1:8b")
    assert (entry.prompt_tokens, entry.completion_tokens, entry.fallback) == (11, 6, False)
    assert entry.ttft_ms is not None and entry.ttft_ms <= entry.total_ms
    assert entry.content is None and entry.api_key_id is not None and entry.client_ip == "127.0.0.1"


def test_the_wire_format_and_the_answering_backend_header(raw, key_for, family, assistant):
    response = raw.post(
        "/v1/chat/completions",
        headers={"Authorization": f"Bearer {key_for(family)}"},
        json={"model": "assistant", "messages": [{"role": "user", "content": "hi"}], "stream": True},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-homeops-backend"] == "studio"
    assert response.headers["x-homeops-model"] == "llama3.1:8b"
    events = response.text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    assert all(e.startswith("data: {") for e in events[:-2])
    assert '"usage"' not in response.text  # not asked for: not sent


def test_a_whole_answer(gateway_url, key_for, family, assistant):
    answer = api(gateway_url, key_for(family)).chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": "hi"}], max_tokens=3
    )
    assert answer.choices[0].message.content == "The quick brown"
    assert answer.model == "assistant" and answer.usage.completion_tokens == 3


def test_models_lists_the_aliases_this_key_may_use(gateway_url, key_for, family, assistant, llm):
    make_route("quick", (assistant, "llama3.2:3b"))
    policy(Role.FAMILY, aliases=["quick"])
    assert [m.id for m in api(gateway_url, key_for(family)).models.list()] == ["quick"]


def test_embeddings(gateway_url, key_for, family, ollama):
    mini = make_backend("mini", ollama)
    make_route("embed", (mini, "llama3.1:8b"), workload="embeddings")
    result = api(gateway_url, key_for(family)).embeddings.create(model="embed", input=["one", "two words"])
    assert [d.embedding for d in result.data] == [[0.1, 0.2, 0.3], [0.2, 0.2, 0.3]]
    assert result.model == "embed" and result.usage.prompt_tokens == 4  # counted (13 characters): Ollama sent no usage


@pytest.mark.parametrize(
    ("key", "status", "code"),
    [("", 401, "invalid_api_key"), ("hops-not-a-real-key", 401, "invalid_api_key")],
)
def test_bad_keys_are_refused(raw, family, assistant, key, status, code):
    response = raw.get("/v1/models", headers={"Authorization": f"Bearer {key}"} if key else {})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code and set(response.json()["error"]) == {
        "message",
        "type",
        "param",
        "code",
    }


def test_each_error_status_reaches_the_openai_client(gateway_url, key_for, family, assistant, raw):
    key = key_for(family)
    client = api(gateway_url, key)
    user = [{"role": "user", "content": "hi"}]
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="nope", messages=user)
    assert missing.value.code == "model_not_found"
    make_route("secret", (assistant, "llama3.1:8b"))
    policy(Role.FAMILY, aliases=["assistant"])
    with pytest.raises(openai.PermissionDeniedError) as denied:
        client.chat.completions.create(model="secret", messages=user)
    assert "may not use 'secret'" in denied.value.message
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="assistant", messages=[])
    assert bad.value.param == "messages"
    not_json = raw.post("/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}, content=b"{oops")
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["error"]["message"]
    assert raw.get("/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}).status_code == 405
    refused = wait_for(lambda: AuditEntry.objects.filter(status=403).first())
    assert refused.alias == "secret" and refused.backend == ""


def test_an_embeddings_alias_is_not_a_chat_model(gateway_url, key_for, family, assistant):
    make_route("embed", (assistant, "llama3.1:8b"), workload="embeddings")
    with pytest.raises(openai.BadRequestError, match="is for embeddings"):
        api(gateway_url, key_for(family)).chat.completions.create(
            model="embed", messages=[{"role": "user", "content": "x"}]
        )
