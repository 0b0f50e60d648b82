"""The chat app calls the gateway in-process: the same policy, routing and audit path as
/v1, as an async iterator of chunks."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from apps.accounts.roles import Role
from apps.gateway import relay, snapshot, upstream
from apps.gateway.errors import GatewayError
from apps.gateway.models import AuditEntry
from apps.status.models import Kind, Service, State
from tests.conftest import make_member
from tests.fixtures.ports import free_port
from tests.gateway.conftest import make_backend, make_route, policy, wait_for

REFUSED = "refused the connection (nothing is listening there)"

pytestmark = pytest.mark.django_db(transaction=True)
HI = [{"role": "user", "content": "hi"}]


async def collect(call: relay.Call) -> list:
    try:
        async with contextlib.aclosing(relay.stream_chat(call)) as events:
            return [event async for event in events]
    finally:
        await upstream.close_sessions()  # asyncio.run's loop ends here


def test_chat_streams_in_process_with_the_fallback_named(llm):
    bob = make_member("bob", Role.FAMILY)
    studio = make_backend("studio", url=f"http://127.0.0.1:{free_port()}")
    make_route("assistant", (studio, "llama3.1:8b"), (make_backend("macbook", llm), "llama3.2:3b"))
    call = relay.Call(
        who=snapshot.identity_for(bob),
        endpoint="chat",
        body={"model": "assistant", "messages": [{"role": "user", "content": "hi"}]},
    )
    events = asyncio.run(collect(call))
    answered = events[0]
    assert isinstance(answered, relay.Answered) and answered.fallback and answered.backend == "macbook"
    passed = answered.passed_over[0]
    assert (passed.backend, passed.model) == ("studio", "llama3.1:8b")
    assert passed.why == "refused the connection (nothing is listening there)"
    assert str(passed) == "studio (llama3.1:8b): refused the connection (nothing is listening there)"
    assert "".join(e["choices"][0]["delta"].get("content") or "" for e in events[1:]).startswith("Thequick")
    entry = wait_for(lambda: AuditEntry.objects.filter(endpoint="chat").first())
    assert entry.api_key_id is None and entry.via == "chat" and entry.member == bob


def test_policy_applies_in_process_too(llm):
    bob = make_member("bob", Role.FAMILY)
    make_route("assistant", (make_backend("studio", llm), "llama3.1:8b"))
    policy(Role.FAMILY, aliases=[])
    call = relay.Call(
        who=snapshot.identity_for(bob),
        endpoint="chat",
        body={"model": "assistant", "messages": [{"role": "user", "content": "hi"}]},
    )
    with pytest.raises(GatewayError) as denied:
        asyncio.run(collect(call))
    assert denied.value.status == 403


async def whole(call: relay.Call) -> list:
    try:
        answered, document = await relay.complete_chat(call)
        return [answered, document]
    finally:
        await upstream.close_sessions()


@pytest.mark.parametrize("ask", [collect, whole], ids=["streamed", "whole"])
def test_the_targets_passed_over_are_named_in_route_order(llm, macbook, ask):
    # The Studio refuses, the NAS is down on the board, the MacBook answers: the notice reads
    # in the route's order, whichever way each was passed over, on both paths.
    bob = make_member("bob", Role.FAMILY)
    asleep = Service.objects.create(name="nas-ollama", label="NAS", kind=Kind.OLLAMA, state=State.DOWN)
    make_route(
        "assistant",
        (make_backend("studio", url=f"http://127.0.0.1:{free_port()}"), "llama3.1:8b"),
        (make_backend("nas", llm, service=asleep), "llama3.1:8b"),
        (make_backend("macbook", macbook), "llama3.2:3b"),
    )
    call = relay.Call(who=snapshot.identity_for(bob), endpoint="chat", body={"model": "assistant", "messages": HI})
    answered = asyncio.run(ask(call))[0]
    assert answered.backend == "macbook" and answered.fallback
    assert [passed.backend for passed in answered.passed_over] == ["studio", "nas"]
    assert answered.passed_over[0].why == REFUSED and "holds NAS down" in answered.passed_over[1].why
    assert llm.requests == []  # the board's word is enough: the NAS was not asked
