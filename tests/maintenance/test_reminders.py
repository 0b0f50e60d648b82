"""Reminders: once when due soon, once when overdue, the weekly digest; through the alert
channels and email; never twice, also with a real worker and with two workers racing; quiet
hours respected."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import pytest
from django.core import mail

from apps.maintenance import schedule, services
from apps.maintenance.models import MaintenanceTask, Reminder
from apps.notify.models import HeldAlert
from homeops.celery import app
from tests.fixtures.celery_worker import ROOT, broker_env, database_url, worker_and_beat


@pytest.fixture(autouse=True)
def _all_day(settings):
    settings.MAINTENANCE_REMIND_FROM, settings.MAINTENANCE_REMIND_UNTIL = 0, 24


def task(title: str, days: int, **kwargs) -> MaintenanceTask:
    """Due `days` from today (in the past: overdue since then)."""
    kwargs.setdefault("cadence", "weekly")
    due = schedule.today() + timedelta(days=days)
    saved = services.task_save(MaintenanceTask(title=title, starts=due, **kwargs))
    MaintenanceTask.objects.filter(pk=saved.pk).update(next_due=due)
    saved.refresh_from_db()
    return saved


@pytest.mark.django_db
def test_due_soon_and_overdue_are_each_sent_once(alice, bob, receiver, make_channel):
    hook = make_channel("Hook", "webhook", url=receiver.url("/hook"))
    task("Weekly look", 1, assignee=bob)
    task("Restore exercise", -2, cadence="quarterly")  # the owner's
    task("Annual review", 30, cadence="annually")  # not yet
    planned = services.reminders_send()
    assert sorted((p.channel_id, p.event.title.split(":")[0]) for p in planned) == [
        (hook.pk, "Due soon"),
        (hook.pk, "Overdue"),
    ]
    assert sorted((m.to[0], m.subject.split(":")[0]) for m in mail.outbox) == [
        ("alice@example.com", "Overdue"),
        ("bob@example.com", "Due soon"),
    ]
    assert "Weekly look is due tomorrow" in next(m.body for m in mail.outbox if m.to == ["bob@example.com"])
    assert services.reminders_send() == [] and len(mail.outbox) == 2  # never the same reminder twice
    assert Reminder.objects.count() == 2


@pytest.mark.django_db
def test_a_role_task_reminds_everyone_with_the_role_but_tells_the_channels_once(alice, bob, make_channel, receiver):
    from tests.conftest import make_member

    make_member("erin", "family")
    make_channel("Hook", "webhook", url=receiver.url("/hook"))
    task("Water the plants", 0, assignee_role="family")
    planned = services.reminders_send()
    assert len(planned) == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.com", "erin@example.com"]


@pytest.mark.django_db
def test_a_snoozed_task_is_reminded_again_for_its_new_day(alice):
    weekly = task("Weekly look", 0)
    services.reminders_send()
    services.occurrence_snooze(weekly, by=alice, until=schedule.today() + timedelta(days=1))
    services.reminders_send()
    assert [m.subject for m in mail.outbox] == [
        "Due soon: Weekly look (due today)",
        "Due soon: Weekly look (due tomorrow)",
    ]


@pytest.mark.django_db
def test_a_channel_in_quiet_hours_holds_the_reminder_for_notifys_digest(alice, make_channel, receiver):
    now = datetime.combine(schedule.today(), clock(12, 0)).replace(tzinfo=UTC)
    make_channel("Night", "webhook", url=receiver.url("/night"), quiet_from=clock(0, 0), quiet_until=clock(23, 59))
    day = make_channel("Day", "webhook", url=receiver.url("/day"))
    task("Weekly look", -1)
    planned = services.reminders_send(now=now)
    assert [p.channel_id for p in planned] == [day.pk]
    held = HeldAlert.objects.get()
    assert held.kind == "maintenance" and "Weekly look was due" in held.text


@pytest.mark.django_db
def test_nothing_goes_out_at_night(settings, alice):
    settings.MAINTENANCE_REMIND_FROM, settings.MAINTENANCE_REMIND_UNTIL = 8, 20
    settings.TIME_ZONE = "Europe/Berlin"
    task("Weekly look", -1)
    night = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 03:00 in Berlin
    assert services.reminders_send(now=night) == [] and not mail.outbox and not Reminder.objects.exists()
    services.reminders_send(now=night.replace(hour=9))
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_weekly_digest_goes_on_mondays_once_when_turned_on(settings, alice, bob):
    settings.MAINTENANCE_WEEKLY_DIGEST = True
    task("Weekly look", 3, assignee=bob)
    monday = schedule.today() - timedelta(days=schedule.today().weekday()) + timedelta(days=7)
    now = datetime.combine(monday, clock(9, 0)).replace(tzinfo=UTC)
    MaintenanceTask.objects.update(next_due=monday + timedelta(days=3))
    services.reminders_send(now=now)
    services.reminders_send(now=now + timedelta(hours=1))
    digests = [m for m in mail.outbox if m.subject.startswith("Maintenance this week")]
    assert [m.to for m in digests] == [["bob@example.com"]]
    assert "Weekly look" in digests[0].body


# --- with real workers ---------------------------------------------------------------------


def send_to_worker(name: str, **options) -> None:
    url = broker_env().get("REDIS_URL")
    if not url:
        app.send_task(name, **options)
        return
    with app.connection_for_write(url) as connection:
        app.send_task(name, connection=connection, **options)


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def worker_env() -> dict[str, str]:
    """The worker mails the test's SMTP server (the mailbox fixture set EMAIL_PORT to it)."""
    from django.conf import settings

    return {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(settings.EMAIL_PORT),
        "EMAIL_USE_TLS": "false",
        "HOMEOPS_MAINTENANCE_REMIND_FROM": "0",
        "HOMEOPS_MAINTENANCE_REMIND_UNTIL": "24",
    }


@contextmanager
def two_workers(**env_overrides: str):
    """Two `celery worker` processes on one queue, to race for the same reminders."""
    env = {**os.environ, "DATABASE_URL": database_url(), **broker_env(), **env_overrides}
    celery = [sys.executable, "-m", "celery", "-A", "homeops", "worker", "--pool", "solo", "--loglevel", "warning"]
    workers = [subprocess.Popen([*celery, "-n", f"racer{n}@%h"], cwd=ROOT, env=env) for n in (1, 2)]
    try:
        yield workers
    finally:
        for process in workers:
            process.terminate()
        for process in workers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def reminder_tasks(bob) -> int:
    """Three tasks that need reminding: Bob's due soon, the owner's overdue, the family's."""
    task("Weekly look", 1, assignee=bob)
    task("Restore exercise", -2, cadence="quarterly")
    task("Patch review", 0, assignee_role="family")
    return 3


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_each_reminder_once(alice, bob, receiver, make_channel, mailbox):
    make_channel("Hook", "webhook", url=receiver.url("/hook"))
    count = reminder_tasks(bob)
    with worker_and_beat(**worker_env()):
        send_to_worker("maintenance.send_reminders")  # beat sends one too, at once
        wait_for(lambda: len(receiver.at("/hook")) >= count and len(mailbox.messages) >= count)
        for _ in range(3):
            send_to_worker("maintenance.send_reminders")
        time.sleep(3)
    assert len(receiver.at("/hook")) == count
    assert sorted(m["To"] for m in mailbox.messages) == ["alice@example.com", "bob@example.com", "bob@example.com"]
    assert Reminder.objects.count() == count


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_each_reminder_once(alice, bob, receiver, make_channel, mailbox):
    make_channel("Hook", "webhook", url=receiver.url("/hook"))
    count = reminder_tasks(bob)
    if broker_env():
        import redis

        redis.Redis.from_url(broker_env()["REDIS_URL"]).flushdb()
    for _ in range(12):  # queued before the workers start, so both find work at once
        send_to_worker("maintenance.send_reminders")
    with two_workers(**worker_env()):
        wait_for(lambda: len(receiver.at("/hook")) >= count)
        time.sleep(4)
    assert len(receiver.at("/hook")) == count
    assert len(mailbox.messages) == count
    assert Reminder.objects.count() == count
