"""From flips to deliveries: who hears what and when (quiet hours, reminders, claiming)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from apps.notify import services, tasks
from apps.notify.models import Delivery, HeldAlert
from apps.status import engine
from apps.status.models import Criticality, Flip, Kind, Service, State
from homeops.celery import app

pytestmark = pytest.mark.django_db


def at(hour: int, minute: int = 0, day: int = 27) -> datetime:
    return timezone.make_aware(datetime(2026, 11, day, hour, minute))


def go_down(service: Service, now: datetime) -> None:
    Service.objects.filter(pk=service.pk).update(state=State.DOWN, state_since=now)
    Flip.objects.create(service=service, created=now, old=State.UP, new=State.DOWN, reason="connection refused")


@pytest.fixture
def nas():
    return Service.objects.create(name="nas", label="NAS", kind=Kind.TCP, check_config={"host": "x", "port": 1})


@pytest.fixture
def eager():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def texts(planned: list[services.Planned]) -> list[str]:
    return [p.event.text for p in planned]


def test_every_enabled_channel_gets_the_alert_once(receiver, make_channel, nas):
    one = make_channel("One", "webhook", url=receiver.url("/one"))
    make_channel("Two", "webhook", url=receiver.url("/two"))
    make_channel("Off", "webhook", url=receiver.url("/off"), enabled=False)
    go_down(nas, timezone.now())
    planned = services.alerts_collect()
    assert sorted(p.channel_id for p in planned) == sorted([one.pk, one.pk + 1])
    assert services.alerts_collect() == []  # claimed: a second run sends nothing
    services.deliver_all(planned)
    assert len(receiver.at("/one")) == len(receiver.at("/two")) == 1
    assert receiver.at("/off") == []


def test_quiet_hours_hold_back_non_critical_alerts_until_morning(make_channel, receiver, nas):
    make_channel("Phone", "ntfy", url=receiver.url("/topic"), quiet_from=time(22), quiet_until=time(7))
    go_down(nas, at(23))
    assert services.alerts_collect(now=at(23)) == []
    assert HeldAlert.objects.count() == 1
    assert services.alerts_collect(now=at(3, day=28)) == []
    (digest,) = services.alerts_collect(now=at(7, 1, day=28))
    assert digest.event.kind == "digest"
    assert digest.event.text == "While quiet hours were on:\n- The NAS is down: connection refused."
    assert HeldAlert.objects.count() == 0
    assert services.alerts_collect(now=at(7, 2, day=28)) == []


def test_critical_services_alert_even_in_quiet_hours(make_channel, receiver, nas):
    make_channel("Phone", "ntfy", url=receiver.url("/topic"), quiet_from=time(22), quiet_until=time(7))
    Service.objects.filter(pk=nas.pk).update(criticality=Criticality.CRITICAL)
    nas.refresh_from_db()
    go_down(nas, at(23))
    assert texts(services.alerts_collect(now=at(23))) == ["The NAS is down: connection refused."]


def test_reminders_come_at_the_channel_interval_while_down(make_channel, receiver, nas):
    make_channel("Reminding", "webhook", url=receiver.url("/r"), reminder_minutes=30)
    make_channel("Default", "webhook", url=receiver.url("/d"))
    t0 = at(12)
    go_down(nas, t0)
    assert len(services.alerts_collect(now=t0)) == 2
    assert services.alerts_collect(now=t0 + timedelta(minutes=10)) == []
    (first,) = services.alerts_collect(now=t0 + timedelta(minutes=31))
    assert first.event.text == "Reminder: the NAS has been down for 31 minutes."
    assert services.alerts_collect(now=t0 + timedelta(minutes=32)) == []
    (second,) = services.alerts_collect(now=t0 + timedelta(minutes=62))
    assert second.event.kind == "reminder"
    Service.objects.filter(pk=nas.pk).update(muted_until=t0 + timedelta(hours=5))
    assert services.alerts_collect(now=t0 + timedelta(minutes=95)) == []


def test_the_beat_task_fans_out_deliveries_from_a_real_round(http_server, receiver, make_channel, eager):
    discord = make_channel("Discord", "discord", url=receiver.url("/discord"))
    web = Service.objects.create(
        name="web", label="Web", kind=Kind.HTTP, check_config={"url": http_server.answer("/", status=500)}, retries=0
    )
    engine.run_round()
    assert Service.objects.get(pk=web.pk).state == State.DOWN
    assert tasks.send_alerts() == 1
    assert tasks.send_alerts() == 0
    (hit,) = receiver.at("/discord")
    assert hit.json["content"] == "Web is down: answered 500 (expected 200-399)."
    assert Delivery.objects.get(channel=discord).ok


def test_the_deliver_task_retries_by_requeueing_not_sleeping(receiver, make_channel, quick, eager):
    """Each attempt is its own task run (a countdown, which eager mode runs at once), so a
    failing channel never keeps a worker asleep."""
    from apps.notify.models import Delivery
    from apps.notify.tasks import deliver
    from tests.notify.conftest import Reply
    from tests.notify.test_transports import down_event

    channel = make_channel("Flaky", "webhook", url=receiver.reply("/hook", Reply(502), Reply(503), Reply(204)))
    deliver.delay(channel_id=channel.pk, event=down_event().as_dict())
    attempts = list(Delivery.objects.filter(channel=channel).order_by("attempt").values_list("attempt", "ok"))
    assert attempts == [(1, False), (2, False), (3, True)]
    assert len(receiver.at("/hook")) == 3
