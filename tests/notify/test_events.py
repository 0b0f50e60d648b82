"""Flips -> events in plain words: root-cause grouping, recovery durations, muting, lateness."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.notify import events, services
from apps.notify.models import EventKind
from apps.status import engine
from apps.status.models import Criticality, Flip, Kind, Service, State

pytestmark = pytest.mark.django_db


def svc(name: str, label: str, **kwargs) -> Service:
    defaults = {"kind": Kind.TCP, "check_config": {"host": "127.0.0.1", "port": 9}}
    return Service.objects.create(name=name, label=label, **{**defaults, **kwargs})


def flip(service: Service, old: str, new: str, at, cause: Service | None = None, reason: str = "") -> Flip:
    return Flip.objects.create(service=service, created=at, old=old, new=new, cause=cause, reason=reason)


@pytest.fixture
def stack():
    nas = svc("nas", "NAS")
    dependents = [svc("forgejo", "Forgejo"), svc("n8n", "n8n"), svc("grafana", "Grafana")]
    for dependent in dependents:
        dependent.depends_on.add(nas)
    return nas, dependents


def collect(now=None) -> list[events.Event]:
    now = now or timezone.now()
    return events.from_flips(services.flips_claim(now=now), now=now)


def test_it_folds_dependents_into_the_root_cause_alert(stack):
    nas, dependents = stack
    now = timezone.now()
    flip(nas, State.UP, State.DOWN, now, reason="connection refused")
    for dependent in dependents:
        flip(dependent, State.UP, State.UNREACHABLE, now, cause=nas)
    (event,) = collect()
    assert event.kind == EventKind.DOWN
    assert event.text == "The NAS is down, so Forgejo, n8n and Grafana are unreachable."
    assert event.services == ["NAS", "Forgejo", "n8n", "Grafana"]


def test_it_groups_through_the_real_engine(stack, receiver):
    nas, dependents = stack
    # Nothing listens on the receiver's port once it stops: the NAS and everything on it fail.
    receiver.stop()
    Service.objects.filter(pk=nas.pk).update(check_config={"host": "127.0.0.1", "port": receiver.port}, retries=0)
    for dependent in dependents:
        Service.objects.filter(pk=dependent.pk).update(
            kind=Kind.HTTP, check_config={"url": receiver.url("/")}, retries=0, timeout=2
        )
    engine.run_round()
    texts = [e.text for e in collect() if e.kind == EventKind.DOWN]
    assert len(texts) == 1
    assert texts[0].startswith("The NAS is down, so ")
    assert all(label in texts[0] for label in ("Forgejo", "n8n", "Grafana"))


def test_a_lone_down_alert_gives_the_reason():
    forgejo = svc("forgejo", "Forgejo")
    flip(forgejo, State.UP, State.DOWN, timezone.now(), reason="answered 502")
    (event,) = collect()
    assert event.text == "Forgejo is down: answered 502."


def test_dependents_whose_cause_was_already_down_get_one_alert_naming_it(stack):
    nas, dependents = stack
    now = timezone.now()
    flip(nas, State.UP, State.DOWN, now - timedelta(minutes=5))
    collect(now - timedelta(minutes=5))
    for dependent in dependents[:2]:
        flip(dependent, State.UP, State.UNREACHABLE, now, cause=nas)
    (event,) = collect(now)
    assert event.text == "Forgejo and n8n are unreachable because the NAS is down."


def test_recovery_says_how_long_it_was_down():
    forgejo = svc("forgejo", "Forgejo")
    start = timezone.now() - timedelta(minutes=12)
    flip(forgejo, State.UP, State.DOWN, start)
    collect(start)
    flip(forgejo, State.DOWN, State.UP, start + timedelta(minutes=12))
    (event,) = collect()
    assert event.kind == EventKind.RECOVERED
    assert event.text == "Forgejo is back after 12 minutes."


def test_recovery_of_the_root_cause_brings_its_dependents_along(stack):
    nas, dependents = stack
    start = timezone.now() - timedelta(hours=1, minutes=5)
    flip(nas, State.UP, State.DOWN, start)
    for dependent in dependents:
        flip(dependent, State.UP, State.UNREACHABLE, start, cause=nas)
    collect(start)
    end = start + timedelta(hours=1, minutes=5)
    flip(nas, State.DOWN, State.UP, end)
    for dependent in dependents:
        flip(dependent, State.UNREACHABLE, State.UP, end)
    (event,) = collect(end)
    assert event.text == "The NAS is back after 1 hour 5 minutes, and Forgejo, n8n and Grafana with it."


def test_muted_services_send_nothing(stack):
    nas, dependents = stack
    now = timezone.now()
    Service.objects.filter(pk=nas.pk).update(muted_until=now + timedelta(hours=1))
    nas.refresh_from_db()
    flip(nas, State.UP, State.DOWN, now)
    for dependent in dependents:
        flip(dependent, State.UP, State.UNREACHABLE, now, cause=nas)
    assert collect(now) == []


def test_a_muted_dependent_is_left_out_of_the_sentence(stack):
    nas, dependents = stack
    now = timezone.now()
    Service.objects.filter(name="n8n").update(muted_until=now + timedelta(hours=1))
    flip(nas, State.UP, State.DOWN, now)
    for dependent in Service.objects.filter(name__in=["forgejo", "n8n", "grafana"]):
        flip(dependent, State.UP, State.UNREACHABLE, now, cause=nas)
    (event,) = collect(now)
    assert "n8n" not in event.text and "Forgejo" in event.text


def test_a_late_heartbeat_is_its_own_kind_of_event():
    backup = Service.objects.create(
        name="offsite", label="Off-site backup", kind=Kind.HEARTBEAT, ping_uuid=uuid.uuid4()
    )
    flip(backup, State.UP, State.DEGRADED, timezone.now(), reason="late")
    (event,) = collect()
    assert event.kind == EventKind.HEARTBEAT_LATE
    assert event.text == "Off-site backup is late: its expected check-in has not come yet."


def test_degraded_and_critical():
    studio = svc("studio", "Studio", criticality=Criticality.CRITICAL)
    flip(studio, State.UP, State.DEGRADED, timezone.now(), reason="answered in 4200 ms")
    (event,) = collect()
    assert event.kind == EventKind.DEGRADED and event.critical
    assert event.text == "Studio is slow or partly working: answered in 4200 ms."


def test_first_checks_and_pauses_say_nothing():
    web = svc("web", "Web")
    flip(web, State.UNKNOWN, State.UP, timezone.now())
    flip(web, State.UP, State.PAUSED, timezone.now())
    assert collect() == []


def test_claiming_makes_a_second_run_see_nothing():
    web = svc("web", "Web")
    flip(web, State.UP, State.DOWN, timezone.now())
    now = timezone.now()
    assert len(services.flips_claim(now=now)) == 1
    assert services.flips_claim(now=now) == []
    assert Flip.objects.get().processed == now


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(0, "less than a minute"), (1, "1 minute"), (12, "12 minutes"), (60, "1 hour"), (125, "2 hours 5 minutes")],
)
def test_durations_read_naturally(minutes, words):
    assert events.duration(timedelta(minutes=minutes)) == words


@pytest.mark.parametrize("services_in_batch", [5, 250])
def test_a_batch_of_recoveries_costs_the_same_queries_whatever_its_size(services_in_batch):
    """500 flips (250 services down, then back) are read with as many queries as 10."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start = timezone.now() - timedelta(hours=1)
    for n in range(services_in_batch):
        service = svc(f"s{n}", f"Service {n}")
        flip(service, State.UP, State.DOWN, start, reason="refused")
        flip(service, State.DOWN, State.UP, start + timedelta(minutes=5 + n % 3))
    claimed = services.flips_claim(now=timezone.now(), limit=1000)
    with CaptureQueriesContext(connection) as queries:
        batch = events.from_flips(claimed, now=timezone.now())
    recoveries = [e for e in batch if e.kind == EventKind.RECOVERED]
    assert len(recoveries) == services_in_batch
    assert recoveries[0].text == "Service 0 is back after 5 minutes."
    assert len(queries) <= 1
