"""The `services` config section for the openai, ollama, nut, synology and metric kinds."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from apps.core import config
from apps.status.models import Kind, Service

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[2] / "apps" / "core" / "example" / "household.yaml"

DOC = textwrap.dedent(
    """\
    services:
      - name: studio-mlx
        label: MLX server (Studio)
        check:
          {kind: openai, url: "http://studio.home.arpa:8080", expect_models: [qwen2.5-14b], api_key_env: STUDIO_KEY}
      - name: studio-ollama
        label: Chat assistant (Studio)
        check: {kind: ollama, url: "http://studio.home.arpa:11434", expect_models: ["llama3.1:8b"]}
      - name: ups
        label: UPS
        check: {kind: nut, host: nas.home.arpa, port: 3493, ups: ups}
      - name: nas-storage
        label: NAS disks
        check:
          kind: synology
          url: "https://nas.home.arpa:5001"
          account: homeops-ro
          password_env: NAS_RO_PASSWORD
          verify_tls: false
      - name: nas-disk-free
        label: NAS free space
        check:
          kind: metric
          url: "http://nas.home.arpa:9100/metrics"
          metric: node_filesystem_avail_bytes
          labels: {mountpoint: /volume1}
          degraded_below: 100000000000
          down_below: 20000000000
      - name: forgejo
        label: Forgejo
        check: {kind: http, url: "http://nas.home.arpa:3000/api/v1/version", version_json_path: version}
    """
)


def test_the_new_kinds_import_and_round_trip_without_secrets():
    result = config.import_text(DOC)
    assert result.ok, result.errors
    kinds = dict(Service.objects.values_list("name", "kind"))
    assert kinds == {
        "studio-mlx": Kind.OPENAI,
        "studio-ollama": Kind.OLLAMA,
        "ups": Kind.NUT,
        "nas-storage": Kind.SYNOLOGY,
        "nas-disk-free": Kind.METRIC,
        "forgejo": Kind.HTTP,
    }
    assert Service.objects.get(name="ups").check_config == {"host": "nas.home.arpa", "port": 3493, "ups": "ups"}
    exported = config.export_text()
    assert "password_env: NAS_RO_PASSWORD" in exported
    again = config.import_text(exported)
    assert "services: 0 new, 0 changed, 6 unchanged" in again.summary()
    assert yaml.safe_load(config.export_text()) == yaml.safe_load(exported)


def test_the_nut_port_may_be_left_out():
    result = config.import_text(DOC.replace("port: 3493, ", ""))
    assert result.ok, result.errors


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('url: "http://studio.home.arpa:8080"', 'url: "studio:8080"'), "services[0].check.url: not a URL"),
        (
            ("expect_models: [qwen2.5-14b]", "expect_models: qwen2.5-14b"),
            "services[0].check.expect_models: must be a list",
        ),
        (
            ("api_key_env: STUDIO_KEY", "api_key_env: sk-live-123"),
            "services[0].check.api_key_env: must be the name of an",
        ),
        (('url: "http://studio.home.arpa:11434"', 'url: "ftp://studio"'), "services[1].check.url: not a URL"),
        (('expect_models: ["llama3.1:8b"]', "expect_models: [3]"), "services[1].check.expect_models: must be a list"),
        (("port: 3493", "port: 0"), "services[2].check.port: must be a port number from 1 to 65535"),
        (("port: 3493", "port: '3493'"), "services[2].check.port: must be a port number"),
        ((", ups: ups}", "}"), "services[2].check: ups is required"),
        (("ups: ups}", "ups: 'ups LIST'}"), "services[2].check.ups: must be the UPS's name in NUT"),
        (("host: nas.home.arpa, port: 3493", "url: 'http://nas', port: 3493"), "services[2].check.url: unknown field"),
        (("      account: homeops-ro\n", ""), "services[3].check: account is required"),
        (("password_env: NAS_RO_PASSWORD", "password: hunter2"), "services[3].check.password: unknown field"),
        (("verify_tls: false", "verify_tls: no-thanks"), "services[3].check.verify_tls: must be true or false"),
        (
            ("metric: node_filesystem_avail_bytes", "json_path: free"),
            "services[4].check.labels: only a Prometheus metric",
        ),
        (
            ("metric: node_filesystem_avail_bytes", "metric: node_filesystem_avail_bytes\n      json_path: free"),
            "services[4].check: give metric (a Prometheus series) or json_path",
        ),
        (("metric: node_filesystem_avail_bytes", "metric: disk free"), "services[4].check.metric: not a Prometheus"),
        (("labels: {mountpoint: /volume1}", "labels: [/volume1]"), "services[4].check.labels: must be a mapping"),
        (("down_below: 20000000000", "down_below: lots"), "services[4].check.down_below: must be a number"),
        (
            ("down_below: 20000000000", "down_below: 200000000000"),
            "services[4].check.down_below: must be at most degraded_below (1e+11)",
        ),
        (
            ("degraded_below: 100000000000", "degraded_above: 10\n      down_above: 5"),
            "services[4].check.down_above: must be at least degraded_above (10)",
        ),
        (("version_json_path: version", "version_path: version"), "services[5].check.version_path: unknown field"),
        (("kind: nut", "kind: snmp"), "services[2].check.kind: must be one of http, metric, nut, ollama, openai"),
    ],
)
def test_mistakes_in_the_new_kinds_are_located(change, message):
    assert change[0] in DOC
    result = config.import_text(DOC.replace(*change))
    assert any(message in str(e) for e in result.errors), result.errors
    assert Service.objects.count() == 0


def test_an_error_in_a_new_kind_carries_its_line():
    result = config.import_text(DOC.replace("port: 3493", "port: 70000"))
    assert [str(e) for e in result.errors] == ["services[2].check.port: must be a port number from 1 to 65535, line 11"]


def test_slow_model_servers_are_configured_in_milliseconds():
    assert config.import_text(DOC.replace("api_key_env: STUDIO_KEY", "degraded_ms: 1500")).ok
    result = config.import_text(DOC.replace("api_key_env: STUDIO_KEY", "degraded_ms: fast"))
    assert "services[0].check.degraded_ms: must be a number of milliseconds" in str(result.errors[0])


def test_the_example_household_uses_the_new_kinds_and_imports():
    example = yaml.safe_load(EXAMPLE.read_text())
    # Only this app's sections: the rest of the file belongs to other apps' tests.
    ours = {key: example[key] for key in ("version", "hosts", "heartbeats", "services")}
    result = config.import_text(yaml.safe_dump(ours), dry_run=True)
    assert result.ok, result.errors
    kinds = {s["name"]: s["check"]["kind"] for s in example["services"]}
    assert kinds["studio-ollama"] == kinds["macbook-ollama"] == Kind.OLLAMA
    assert kinds["studio-mlx"] == Kind.OPENAI
    ups = next(s for s in example["services"] if s["name"] == "ups")
    assert (ups["host"], ups["check"]) == ("NAS", {"kind": Kind.NUT, "host": "nas.home.arpa", "ups": "ups"})
