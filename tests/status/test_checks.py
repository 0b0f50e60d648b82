"""Each check kind against a real local server."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from apps.status.checks import run_probes
from apps.status.kinds.base import Probe
from apps.status.models import State
from tests.fixtures.ports import free_port


def run(kind: str, check: dict, timeout: float = 2.0):
    return asyncio.run(run_probes([Probe(1, kind, check, timeout)]))[0]


def test_http_up_reports_status_and_latency(http_server):
    outcome = run("http", {"url": http_server.answer("/ok")})
    assert outcome.state == State.UP
    assert outcome.message.startswith("answered 200 in")
    assert outcome.latency_ms is not None


@pytest.mark.parametrize(
    ("answer", "check", "state", "words"),
    [
        ({"status": 503}, {}, State.DOWN, "answered 503 (expected 200-399)"),
        ({"status": 404}, {"expect_status": "404"}, State.UP, "answered 404"),
        ({"body": "Welcome home"}, {"keyword": "Welcome"}, State.UP, "answered 200"),
        ({"body": "Maintenance"}, {"keyword": "Welcome"}, State.DOWN, "without the word 'Welcome'"),
        ({"body": {"database": "ok"}}, {"json_path": "database", "json_value": "ok"}, State.UP, "answered 200"),
        ({"body": {"database": "down"}}, {"json_path": "database", "json_value": "ok"}, State.DOWN, "is 'down'"),
        ({"body": {"models": []}}, {"json_path": "models.0.name"}, State.DOWN, "the answer has no models.0.name"),
        ({"delay": 0.3}, {"degraded_ms": 100}, State.DEGRADED, "slow: answered in"),
        ({"headers": {"X-Version": "1.21"}}, {"version_header": "X-Version"}, State.UP, "answered 200"),
    ],
)
def test_http_rules(http_server, answer, check, state, words):
    outcome = run("http", {"url": http_server.answer("/x", **answer), **check})
    assert outcome.state == state
    assert words in outcome.message


def test_http_captures_the_version_header(http_server):
    outcome = run(
        "http", {"url": http_server.answer("/v", headers={"X-Version": "1.21"}), "version_header": "X-Version"}
    )
    assert outcome.version == "1.21"


def test_http_timeout_is_reported_in_plain_words(http_server):
    outcome = run("http", {"url": http_server.answer("/slow", delay=3)}, timeout=0.5)
    assert outcome.state == State.DOWN
    assert outcome.message == "did not answer within 0.5 s"


def test_http_refused_connection():
    outcome = run("http", {"url": f"http://127.0.0.1:{free_port()}/"})
    assert outcome.state == State.DOWN
    assert "refused the connection" in outcome.message


def test_tcp_open_and_closed_ports():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert run("tcp", {"host": "127.0.0.1", "port": port}).state == State.UP
    closed = run("tcp", {"host": "127.0.0.1", "port": free_port()})
    assert closed.state == State.DOWN
    assert "refused the connection" in closed.message


def test_one_hanging_target_does_not_delay_the_others(http_server):
    probes = [Probe(1, "http", {"url": http_server.answer("/hang", delay=5)}, 1.0)]
    probes += [Probe(i, "http", {"url": http_server.answer(f"/ok{i}")}, 1.0) for i in range(2, 12)]
    start = time.monotonic()
    outcomes = asyncio.run(run_probes(probes, concurrency=20))
    elapsed = time.monotonic() - start
    assert outcomes[0].state == State.DOWN
    assert [o.message for o in outcomes[1:] if o.state != State.UP] == []
    assert elapsed < 3  # bounded by the hanging check's own 1 s timeout, not its 5 s answer


def test_bad_settings_become_a_plain_down(http_server):
    outcome = run("http", {"url": http_server.answer("/x"), "expect_status": "2xx"})
    assert outcome.state == State.DOWN
    assert "the check's settings are wrong" in outcome.message
