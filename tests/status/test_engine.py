"""Rounds through the real engine: claiming, results, states, flips, dependency suppression."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.status import engine
from apps.status.models import Flip, Kind, Result, Service, State

pytestmark = pytest.mark.django_db


def http_service(name: str, url: str, **kwargs) -> Service:
    defaults = {"label": name.title(), "kind": Kind.HTTP, "check_config": {"url": url}, "retries": 0, "timeout": 2}
    return Service.objects.create(name=name, **{**defaults, **kwargs})


def test_a_round_checks_due_services_and_records_results(http_server):
    web = http_service("web", http_server.answer("/"))
    assert engine.run_round() == 1
    web.refresh_from_db()
    assert web.state == State.UP
    assert web.message.startswith("answered 200")
    assert web.next_check_at > timezone.now()
    assert Result.objects.filter(service=web, outcome=State.UP).count() == 1
    assert Flip.objects.get(service=web).new == State.UP
    assert engine.run_round() == 0  # not due again before its interval


def test_a_claimed_check_is_not_claimed_twice():
    Service.objects.create(name="a", label="A", kind=Kind.TCP, check_config={"host": "127.0.0.1", "port": 9})
    now = timezone.now()
    assert len(engine.claim_due(queue="celery", now=now)) == 1
    assert engine.claim_due(queue="celery", now=now) == []  # a second worker or a duplicate delivery


def test_services_are_polled_by_their_own_queue(http_server):
    http_service("mini-only", http_server.answer("/"), queue="mini")
    assert engine.run_round(queue="celery") == 0
    assert engine.run_round(queue="mini") == 1


def test_retries_before_down_then_recovery(http_server):
    web = http_service("web", http_server.answer("/", status=500), retries=1)
    engine.run_round()
    web.refresh_from_db()
    assert web.state == State.UNKNOWN and web.fail_count == 1
    Service.objects.update(next_check_at=None)
    engine.run_round()
    web.refresh_from_db()
    assert web.state == State.DOWN
    assert web.message == "answered 500 (expected 200-399)"
    http_server.answer("/", status=200)
    Service.objects.update(next_check_at=None)
    engine.run_round()
    web.refresh_from_db()
    assert web.state == State.UP
    assert [f.new for f in Flip.objects.filter(service=web).order_by("created")] == [State.DOWN, State.UP]


def test_dependents_of_a_down_service_are_unreachable_with_the_cause_named(http_server):
    http_server.stop()  # the NAS is off: everything on it fails
    nas = Service.objects.create(
        name="nas", label="NAS", kind=Kind.TCP, check_config={"host": "127.0.0.1", "port": http_server.port}, retries=0
    )
    forgejo = http_service("forgejo", http_server.url("/api"))
    grafana = http_service("grafana", http_server.url("/health"))
    forgejo.depends_on.add(nas)
    grafana.depends_on.add(nas)
    engine.run_round()
    states = dict(Service.objects.values_list("name", "state"))
    assert states == {"nas": State.DOWN, "forgejo": State.UNREACHABLE, "grafana": State.UNREACHABLE}
    flip = Flip.objects.get(service=forgejo)
    assert flip.cause_id == nas.pk
    assert flip.reason == "depends on NAS, which is down"


def test_a_service_already_down_becomes_unreachable_when_its_dependency_fails(http_server):
    forgejo = http_service("forgejo", http_server.answer("/", status=502))
    engine.run_round()
    assert Service.objects.get(pk=forgejo.pk).state == State.DOWN
    nas = Service.objects.create(
        name="nas", label="NAS", kind=Kind.TCP, check_config={"host": "127.0.0.1", "port": 9}, retries=0
    )
    forgejo.depends_on.add(nas)
    engine.run_round()  # only the NAS is due
    assert Service.objects.get(pk=nas.pk).state == State.DOWN
    assert Service.objects.get(pk=forgejo.pk).state == State.UNREACHABLE


def test_a_disabled_service_is_not_checked(http_server):
    http_service("web", http_server.answer("/"), enabled=False)
    assert engine.run_round() == 0


def test_check_now_runs_at_once_and_records(http_server):
    web = http_service("web", http_server.answer("/"), next_check_at=timezone.now() + timedelta(hours=1))
    outcome = engine.check_now(web)
    assert outcome.state == State.UP
    assert Service.objects.get(pk=web.pk).state == State.UP


def test_a_service_nobody_checks_any_more_becomes_unknown(http_server):
    web = http_service("web", http_server.answer("/"), queue="mini")
    engine.run_round(queue="mini")
    assert Service.objects.get(pk=web.pk).state == State.UP
    # The Mac mini's worker stops: the default queue's round notices the silence.
    later = timezone.now() + timedelta(minutes=6)
    engine.run_round(queue="celery", now=later)
    web.refresh_from_db()
    assert web.state == State.UNKNOWN
    assert "is the worker for the 'mini' queue running?" in web.message


def test_a_round_lost_mid_way_is_checked_again_after_one_interval(http_server):
    """A worker killed after claiming (before recording) loses that round only."""
    web = http_service("web", http_server.answer("/"), interval=30)
    now = timezone.now()
    assert [s.pk for s in engine.claim_due(queue="celery", now=now)] == [web.pk]  # ...and the worker dies here
    assert engine.run_round(now=now + timedelta(seconds=10)) == 0  # still claimed by the lost round
    assert engine.run_round(now=now + timedelta(seconds=31)) == 1  # due again: the next round recovers it
    assert Service.objects.get(pk=web.pk).state == State.UP
    assert Result.objects.filter(service=web).count() == 1  # nothing half-written by the lost round
