"""The OpenAI, Ollama and metric checks, and version capture, against real local servers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.status import engine
from apps.status.checks import run_probes
from apps.status.kinds.base import Probe
from apps.status.models import Kind, Result, Service, State
from tests.fixtures.model_server import FakeModelServer
from tests.status.test_checks import free_port

KEY = "sk-test-0123456789"


@pytest.fixture
def models():
    server = FakeModelServer().start()
    yield server
    server.stop()


@pytest.fixture
def keyed_models():
    server = FakeModelServer(api_key=KEY).start()
    yield server
    server.stop()


def run(kind: str, check: dict, timeout: float = 2.0):
    return asyncio.run(run_probes([Probe(1, kind, check, timeout)]))[0]


# --- openai ----------------------------------------------------------------------------------


def test_openai_counts_the_models(models):
    outcome = run("openai", {"url": models.url})
    assert outcome.state == State.UP
    assert outcome.message == "answers with 3 models"
    assert outcome.data == {"models": 3}
    assert models.requests[0][0] == "/v1/models"


def test_openai_accepts_a_url_that_already_ends_in_v1(models):
    assert run("openai", {"url": models.url + "/v1/"}).message == "answers with 3 models"


@pytest.mark.parametrize(
    ("expected", "state", "message"),
    [
        (["llama3.1:8b"], State.UP, "answers with 3 models"),
        (["llama3"], State.DEGRADED, "answers, but llama3 is missing"),
        (["llama3", "llama3.1:8b", "mistral"], State.DEGRADED, "answers, but llama3 and mistral are missing"),
    ],
)
def test_openai_expected_models(models, expected, state, message):
    outcome = run("openai", {"url": models.url, "expect_models": expected})
    assert (outcome.state, outcome.message) == (state, message)


def test_openai_without_models_is_degraded(models):
    models.models = []
    outcome = run("openai", {"url": models.url})
    assert (outcome.state, outcome.message) == (State.DEGRADED, "answers, but offers no models")


def test_openai_sends_the_key_from_the_environment(keyed_models, monkeypatch):
    monkeypatch.setenv("STUDIO_API_KEY", KEY)
    outcome = run("openai", {"url": keyed_models.url, "api_key_env": "STUDIO_API_KEY"})
    assert outcome.state == State.UP
    assert keyed_models.requests[-1][1]["Authorization"] == f"Bearer {KEY}"
    assert KEY not in outcome.message


def test_openai_refused_key_is_down(keyed_models, monkeypatch):
    monkeypatch.setenv("STUDIO_API_KEY", "sk-wrong")
    outcome = run("openai", {"url": keyed_models.url, "api_key_env": "STUDIO_API_KEY"})
    assert outcome.state == State.DOWN
    assert outcome.message == "answered 401 at /v1/models: the key is missing or wrong"


def test_openai_missing_key_variable_is_a_settings_error(models, monkeypatch):
    monkeypatch.delenv("STUDIO_API_KEY", raising=False)
    outcome = run("openai", {"url": models.url, "api_key_env": "STUDIO_API_KEY"})
    assert outcome.state == State.DOWN
    assert outcome.message == "the check's settings are wrong: the environment variable STUDIO_API_KEY is not set"


def test_openai_not_json_is_down(http_server):
    http_server.answer("/v1/models", body="<html>Welcome to nginx</html>")
    outcome = run("openai", {"url": http_server.url("")})
    assert (outcome.state, outcome.message) == (State.DOWN, "/v1/models did not answer with JSON")


def test_openai_refused_connection_is_down():
    outcome = run("openai", {"url": f"http://127.0.0.1:{free_port()}"})
    assert outcome.state == State.DOWN
    assert outcome.message.startswith("refused the connection")


@pytest.mark.parametrize("kind", ["openai", "ollama"])
def test_a_slow_model_server_is_degraded(models, kind):
    models.delay = 0.2
    outcome = run(kind, {"url": models.url, "degraded_ms": 100})
    assert outcome.state == State.DEGRADED
    assert outcome.message.startswith("slow: answered in")
    assert outcome.message.endswith("ms (over 100 ms)")


# --- ollama ----------------------------------------------------------------------------------


def test_ollama_reports_models_loaded_and_version(models):
    outcome = run("ollama", {"url": models.url})
    assert outcome.state == State.UP
    assert outcome.message == "3 models, 1 loaded (llama3.1:8b)"
    assert outcome.version == "0.5.7"
    assert outcome.data == {"models": 3, "loaded": 1}


def test_ollama_with_nothing_in_memory(models):
    models.loaded = []
    assert run("ollama", {"url": models.url}).message == "3 models, none loaded"


@pytest.mark.parametrize(
    ("expected", "state", "message"),
    [
        # "nomic-embed-text" is installed as nomic-embed-text:latest, as `ollama pull` names it.
        (["nomic-embed-text", "qwen2.5:14b"], State.UP, "3 models, 1 loaded (llama3.1:8b)"),
        (["llama3.1:70b"], State.DEGRADED, "answers, but llama3.1:70b is missing"),
    ],
)
def test_ollama_expected_models(models, expected, state, message):
    outcome = run("ollama", {"url": models.url, "expect_models": expected})
    assert (outcome.state, outcome.message) == (state, message)
    assert outcome.version == "0.5.7"


def test_an_older_ollama_without_ps_is_still_up(models):
    models.missing_paths = {"/api/ps", "/api/version"}
    outcome = run("ollama", {"url": models.url})
    assert (outcome.state, outcome.message, outcome.version) == (State.UP, "3 models", "")


def test_ollama_error_is_down(models):
    models.missing_paths = {"/api/tags"}
    outcome = run("ollama", {"url": models.url})
    assert (outcome.state, outcome.message) == (State.DOWN, "answered 404 at /api/tags")


# --- metric ----------------------------------------------------------------------------------

NODE_EXPORTER = """\
# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.
# TYPE node_filesystem_avail_bytes gauge
node_filesystem_avail_bytes{device="/dev/md2",fstype="btrfs",mountpoint="/volume1"} 4.1e+10
node_filesystem_avail_bytes{device="/dev/md3",fstype="btrfs",mountpoint="/volume2"} 5.5e+09
# HELP node_load1 1m load average.
# TYPE node_load1 gauge
node_load1 0.52
# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
# TYPE process_start_time_seconds gauge
process_start_time_seconds 1.73270001e+09 1732700010000
node_label_with_escapes{path="C:\\\\data",note="say \\"hi\\""} 7
"""


def metric(http_server, **check) -> dict:
    return {"url": http_server.answer("/metrics", body=NODE_EXPORTER), **check}


@pytest.mark.parametrize(
    ("check", "state", "message"),
    [
        ({}, State.UP, "node_filesystem_avail_bytes is 4.1e+10"),
        ({"down_below": 1e10}, State.UP, "node_filesystem_avail_bytes is 4.1e+10 (within its limits)"),
        ({"degraded_below": 5e10, "down_below": 1e10}, State.DEGRADED, "is 4.1e+10 (degraded below 5e+10)"),
        ({"degraded_below": 9e10, "down_below": 5e10}, State.DOWN, "is 4.1e+10 (down below 5e+10)"),
        ({"down_above": 4e10}, State.DOWN, "node_filesystem_avail_bytes is 4.1e+10 (down above 4e+10)"),
    ],
)
def test_metric_thresholds(http_server, check, state, message):
    outcome = run(
        "metric", metric(http_server, metric="node_filesystem_avail_bytes", labels={"mountpoint": "/volume1"}, **check)
    )
    assert outcome.state == state
    assert outcome.message.endswith(message)
    assert outcome.data == {"value": 4.1e10}


def test_metric_series_without_labels_and_with_a_timestamp(http_server):
    assert run("metric", metric(http_server, metric="node_load1", degraded_above=4)).message == (
        "node_load1 is 0.52 (within its limits)"
    )
    assert run("metric", metric(http_server, metric="process_start_time_seconds")).data == {"value": 1.73270001e9}


def test_metric_label_values_with_escapes(http_server):
    outcome = run("metric", metric(http_server, metric="node_label_with_escapes", labels={"path": "C:\\data"}))
    assert outcome.data == {"value": 7.0}


def test_metric_that_matches_several_series_asks_for_labels(http_server):
    outcome = run("metric", metric(http_server, metric="node_filesystem_avail_bytes"))
    assert outcome.state == State.DOWN
    assert outcome.message == (
        "the check's settings are wrong: 2 series of node_filesystem_avail_bytes match: add labels to pick one"
    )


def test_metric_that_is_absent_is_down(http_server):
    outcome = run("metric", metric(http_server, metric="node_filesystem_avail_bytes", labels={"mountpoint": "/nope"}))
    assert (outcome.state, outcome.message) == (
        State.DOWN,
        "the answer has no node_filesystem_avail_bytes with those labels",
    )


@pytest.mark.parametrize(
    ("body", "check", "state", "message"),
    [
        ({"stats": {"queue": 3}}, {"degraded_above": 10}, State.UP, "stats.queue is 3 (within its limits)"),
        (
            {"stats": {"queue": 12}},
            {"degraded_above": 10, "down_above": 50},
            State.DEGRADED,
            "stats.queue is 12 (degraded above 10)",
        ),
        (
            {"stats": {"queue": "75"}},
            {"degraded_above": 10, "down_above": 50},
            State.DOWN,
            "stats.queue is 75 (down above 50)",
        ),
        ({"stats": {"queue": "lots"}}, {}, State.DOWN, "stats.queue is 'lots', not a number"),
        ({"stats": {}}, {}, State.DOWN, "the answer has no stats.queue"),
    ],
)
def test_metric_from_json(http_server, body, check, state, message):
    outcome = run("metric", {"url": http_server.answer("/stats", body=body), "json_path": "stats.queue", **check})
    assert (outcome.state, outcome.message) == (state, message)


def test_metric_endpoint_error_is_down(http_server):
    outcome = run("metric", {"url": http_server.answer("/metrics", status=500), "metric": "up"})
    assert (outcome.state, outcome.message) == (State.DOWN, "answered 500")


# --- version capture for http ----------------------------------------------------------------


def test_http_reads_the_version_from_json(http_server):
    url = http_server.answer("/api/v1/version", body={"version": "1.21.0"})
    outcome = run("http", {"url": url, "version_json_path": "version"})
    assert (outcome.state, outcome.version) == (State.UP, "1.21.0")


def test_http_without_the_version_field_is_still_up(http_server):
    url = http_server.answer("/api/v1/version", body="not json")
    outcome = run("http", {"url": url, "version_json_path": "version"})
    assert (outcome.state, outcome.version) == (State.UP, "")


# --- through the engine ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_poller_runs_the_new_kinds_and_keeps_their_numbers(http_server, models):
    now = timezone.now()
    disk = Service.objects.create(
        name="disk",
        label="Disk space",
        kind=Kind.METRIC,
        check_config=metric(
            http_server, metric="node_filesystem_avail_bytes", labels={"mountpoint": "/volume2"}, degraded_below=1e10
        ),
        retries=0,
    )
    ollama = Service.objects.create(
        name="ollama", label="Ollama", kind=Kind.OLLAMA, check_config={"url": models.url}, retries=0
    )
    assert engine.run_round(now=now) == 2
    disk.refresh_from_db()
    ollama.refresh_from_db()
    assert (disk.state, disk.details) == (State.DEGRADED, {"value": 5.5e9})
    assert disk.message == "node_filesystem_avail_bytes is 5.5e+09 (degraded below 1e+10)"
    assert (ollama.state, ollama.version, ollama.details) == (State.UP, "0.5.7", {"models": 3, "loaded": 1})
    assert Result.objects.count() == 2
    # A later check that fails replaces the numbers: details are the last check's, not history.
    http_server.answer("/metrics", status=503)
    engine.run_round(now=now + timedelta(minutes=5))
    disk.refresh_from_db()
    assert disk.details == {}
