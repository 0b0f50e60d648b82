"""Patch drift: versions the real status poller recorded, and how long each has been the same."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.maintenance import drift
from apps.status import engine
from apps.status.kinds.base import Outcome
from apps.status.models import Kind, Service, State
from tests.conftest import signed_in
from tests.fixtures.http_server import LocalHTTPServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def http_server():
    server = LocalHTTPServer().start()
    yield server
    server.stop()


def versioned(name: str, url: str) -> Service:
    return Service.objects.create(
        name=name,
        label=name.title(),
        kind=Kind.HTTP,
        check_config={"url": url, "version_header": "X-Version"},
        retries=0,
        timeout=2,
    )


def test_a_version_keeps_its_since_until_it_changes(http_server):
    forgejo = versioned("forgejo", http_server.answer("/forgejo", headers={"X-Version": "1.21.0"}))
    engine.run_round()
    forgejo.refresh_from_db()
    first_seen = forgejo.version_since
    assert forgejo.version == "1.21.0" and first_seen is not None

    later = first_seen + timedelta(days=40)
    engine.record([forgejo], [Outcome(State.UP, "answered 200", 5.0, "1.21.0")], now=later)
    row = drift.versions(now=later).rows[0]
    assert (row.version, row.since, row.age) == ("1.21.0", first_seen, timedelta(days=40))

    engine.record([forgejo], [Outcome(State.UP, "answered 200", 5.0, "1.22.1")], now=later)
    row = drift.versions(now=later + timedelta(days=3)).rows[0]
    assert (row.version, row.since, row.age) == ("1.22.1", later, timedelta(days=3))


def test_services_unchanged_for_half_a_year_are_stale_and_listed_first(http_server):
    now = timezone.now()
    grafana = versioned("grafana", http_server.answer("/g", headers={"X-Version": "10.4.1"}))
    ollama = versioned("ollama", http_server.answer("/o", headers={"X-Version": "0.5.1"}))
    Service.objects.create(name="nas", label="NAS", kind=Kind.TCP, check_config={"host": "127.0.0.1", "port": 9})
    Service.objects.create(name="backup", label="Nightly backup", kind=Kind.HEARTBEAT)
    engine.record([grafana], [Outcome(State.UP, "ok", 1.0, "10.4.1")], now=now - timedelta(days=200))
    engine.record([ollama], [Outcome(State.UP, "ok", 1.0, "0.5.1")], now=now - timedelta(days=12))

    result = drift.versions(now=now)
    assert [(row.service.name, row.stale) for row in result.rows] == [("grafana", True), ("ollama", False)]
    assert result.stale_count == 1
    assert [s.name for s in result.silent] == ["nas"]  # a heartbeat has no version to report


def test_the_patch_page_highlights_the_stale_service(client, alice, http_server):
    grafana = versioned("grafana", http_server.answer("/g"))
    engine.record([grafana], [Outcome(State.UP, "ok", 1.0, "10.4.1")], now=timezone.now() - timedelta(days=400))
    page = signed_in(client, alice).get("/maintenance/patches/").content.decode()
    assert '<tr class="stale" data-service="grafana">' in page
    assert "10.4.1" in page and "1\xa0year" in page  # timesince keeps number and unit together
    assert "1 unchanged for over 180 days" in page


def test_the_patch_page_says_when_no_service_reports_a_version(client, alice):
    page = signed_in(client, alice).get("/maintenance/patches/").content.decode()
    assert "No service reports a version yet." in page


def test_the_patch_review_task_page_lists_the_versions(client, alice, http_server):
    from datetime import date

    from apps.maintenance import services
    from apps.maintenance.models import Cadence, MaintenanceTask, TaskKind

    review = services.task_save(
        MaintenanceTask(
            title="Patch review", kind=TaskKind.PATCH_REVIEW, cadence=Cadence.MONTHLY, starts=date(2026, 1, 3)
        )
    )
    grafana = versioned("grafana", http_server.answer("/g"))
    engine.record([grafana], [Outcome(State.UP, "ok", 1.0, "10.4.1")], now=timezone.now() - timedelta(days=30))
    client = signed_in(client, alice)
    page = client.get(f"/maintenance/{review.pk}/").content.decode()
    assert 'id="patch-drift"' in page and '<tr class="" data-service="grafana">' in page
    assert 'href="/maintenance/patches/"' in client.get(f"/maintenance/{review.pk}/complete/").content.decode()
