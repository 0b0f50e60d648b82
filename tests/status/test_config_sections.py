from __future__ import annotations

import textwrap

import pytest
import yaml

from apps.core import config
from apps.status.models import Host, Kind, Service

pytestmark = pytest.mark.django_db

DOC = textwrap.dedent(
    """\
    hosts:
      - name: NAS
        address: nas.home.arpa
        kind: nas
    heartbeats:
      - name: offsite
        label: Off-site backup
        period: 86400
        grace: 3600
    services:
      - name: forgejo
        label: Forgejo
        host: NAS
        check: {kind: http, url: "http://nas.home.arpa:3000/api/v1/version", json_path: version}
        interval: 60
        depends_on: [nas]
      - name: nas
        label: NAS
        host: NAS
        check: {kind: tcp, host: nas.home.arpa, port: 5001}
        retries: 2
    """
)


def test_hosts_services_and_heartbeats_import_and_round_trip():
    result = config.import_text(DOC)
    assert result.ok, result.errors
    forgejo = Service.objects.get(name="forgejo")
    assert forgejo.host == Host.objects.get(name="NAS")
    assert forgejo.check_config == {"url": "http://nas.home.arpa:3000/api/v1/version", "json_path": "version"}
    assert list(forgejo.depends_on.values_list("name", flat=True)) == ["nas"]
    offsite = Service.objects.get(name="offsite")
    assert offsite.kind == Kind.HEARTBEAT and offsite.ping_uuid is not None
    exported = config.export_text()
    again = config.import_text(exported)
    assert "services: 0 new, 0 changed, 2 unchanged" in again.summary()
    assert "heartbeats: 0 new, 0 changed, 1 unchanged" in again.summary()
    assert yaml.safe_load(config.export_text()) == yaml.safe_load(exported)
    # The uuid survives a re-import without one: backup jobs keep their URL.
    config.import_text("heartbeats:\n  - {name: offsite, period: 86400}\n")
    assert Service.objects.get(name="offsite").ping_uuid == offsite.ping_uuid


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("http://nas.home.arpa:3000/api/v1/version", "nas.home.arpa/api"), "services[0].check.url: not a URL"),
        (("host: NAS\n    check: {kind: http", "host: Attic\n    check: {kind: http"), "no host named 'Attic'"),
        (("depends_on: [nas]", "depends_on: [nass]"), "services[0].depends_on: no service or heartbeat named 'nass'"),
        (("port: 5001", "port: 99999"), "services[1].check.port: must be a port number"),
        (("kind: tcp", "kind: ping"), "services[1].check.kind: must be one of http, metric, nut, ollama, openai"),
        (("interval: 60", "interval: 1"), "services[0].interval: must be from 5 to 86400 seconds"),
        (("period: 86400", "period: soon"), "heartbeats[0].period: must be a whole number of seconds"),
        (("retries: 2", "retries: 2\n    depends_on: [forgejo]"), "the dependencies go round in a circle"),
    ],
)
def test_mistakes_are_located(change, message):
    result = config.import_text(DOC.replace(*change))
    assert any(message in str(e) for e in result.errors), result.errors
    assert Service.objects.count() == 0


def test_an_error_carries_its_line():
    result = config.import_text(DOC.replace('"http://nas.home.arpa:3000/api/v1/version"', '"nas"'))
    assert str(result.errors[0]).endswith("line 14")


def test_a_heartbeat_and_a_service_cannot_share_a_name():
    result = config.import_text(DOC.replace("name: offsite", "name: nas"))
    assert any("a service is already called 'nas'" in str(e) for e in result.errors), result.errors
