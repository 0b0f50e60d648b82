"""When tasks fall due, as a table: month ends, 29 February, DST in two zones, quarterly from
30 November, schedule against completion anchoring, skip and snooze."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.maintenance import schedule, services
from apps.maintenance.models import MaintenanceTask, Occurrence


def rhythm(cadence: str, starts: date, anchor: str = "schedule", rule: str = "") -> MaintenanceTask:
    return MaintenanceTask(title="t", cadence=cadence, rrule=rule, anchor=anchor, starts=starts)


def d(text: str) -> date:
    return date.fromisoformat(text)


SERIES = [
    # (cadence, rrule, starts, the first due days)
    ("monthly", "", "2026-01-31", ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]),
    ("monthly", "", "2028-01-30", ["2028-01-30", "2028-02-29", "2028-03-30", "2028-04-30"]),  # leap year
    ("monthly", "", "2026-01-29", ["2026-01-29", "2026-02-28", "2026-03-29"]),
    ("monthly", "", "2026-01-15", ["2026-01-15", "2026-02-15", "2026-03-15"]),
    ("quarterly", "", "2026-01-31", ["2026-01-31", "2026-04-30", "2026-07-31", "2026-10-31", "2027-01-31"]),
    ("quarterly", "", "2026-11-30", ["2026-11-30", "2027-02-28", "2027-05-30", "2027-08-30", "2027-11-30"]),
    ("quarterly", "", "2027-11-30", ["2027-11-30", "2028-02-29", "2028-05-30"]),
    ("annually", "", "2028-02-29", ["2028-02-29", "2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"]),
    ("annually", "", "2026-12-31", ["2026-12-31", "2027-12-31"]),
    # Weekly across the DST changes (Europe: 29 March and 25 October 2026; US: 8 March, 1 November).
    ("weekly", "", "2026-03-23", ["2026-03-23", "2026-03-30", "2026-04-06"]),
    ("weekly", "", "2026-10-19", ["2026-10-19", "2026-10-26", "2026-11-02"]),
    ("weekly", "", "2026-03-02", ["2026-03-02", "2026-03-09", "2026-03-16"]),
    ("custom", "FREQ=MONTHLY;BYDAY=1SA", "2026-01-01", ["2026-01-03", "2026-02-07", "2026-03-07"]),
    ("custom", "FREQ=MONTHLY;BYMONTHDAY=-1", "2026-01-01", ["2026-01-31", "2026-02-28", "2026-03-31"]),
    ("custom", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU", "2026-03-22", ["2026-03-22", "2026-04-05", "2026-04-19"]),
    ("custom", "RRULE:FREQ=YEARLY;COUNT=2", "2026-06-01", ["2026-06-01", "2027-06-01"]),  # then it ends
]


@pytest.mark.parametrize(("cadence", "rule", "starts", "expected"), SERIES)
@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "UTC"])
def test_due_days_follow_the_calendar_clamped_to_month_ends(settings, zone, cadence, rule, starts, expected):
    settings.TIME_ZONE = zone
    task = rhythm(cadence, d(starts), rule=rule)
    assert schedule.first_due(task) == d(expected[0])
    days = schedule.upcoming(task, next_due=d(expected[0]), until=d(expected[-1]) + timedelta(days=400))
    assert [day.isoformat() for day in days[: len(expected)]] == expected
    if "COUNT=2" in rule:
        assert len(days) == 2


ANCHORS = [
    # (cadence, anchor, starts, due, completed on (household day), next due)
    ("monthly", "schedule", "2026-01-10", "2026-02-10", "2026-02-14", "2026-03-10"),  # late: calendar stays
    ("monthly", "completion", "2026-01-10", "2026-02-10", "2026-02-14", "2026-03-14"),  # counts from done
    ("monthly", "schedule", "2026-01-10", "2026-02-10", "2026-02-08", "2026-03-10"),  # early: after the due day
    ("monthly", "completion", "2026-01-10", "2026-02-10", "2026-02-08", "2026-03-08"),
    ("monthly", "schedule", "2026-01-10", "2026-01-10", "2026-04-20", "2026-05-10"),  # missed ones not piled up
    ("weekly", "completion", "2026-03-02", "2026-03-09", "2026-03-12", "2026-03-19"),
    ("quarterly", "completion", "2026-01-31", "2026-01-31", "2026-01-31", "2026-04-30"),
    ("annually", "schedule", "2028-02-29", "2028-02-29", "2028-03-01", "2029-02-28"),
]


@pytest.mark.parametrize(("cadence", "anchor", "starts", "due", "done", "expected"), ANCHORS)
def test_the_next_due_day_after_a_completion_follows_the_anchor(cadence, anchor, starts, due, done, expected):
    task = rhythm(cadence, d(starts), anchor)
    assert schedule.after_completion(task, due=d(due), done=d(done)) == d(expected)


DST_MOMENTS = [
    # (zone, a completion instant in UTC, the household's day it falls on)
    ("Europe/Berlin", "2026-03-28T23:30:00", "2026-03-29"),  # 00:30 CET, the night the clocks go forward
    ("Europe/Berlin", "2026-03-29T22:30:00", "2026-03-30"),  # 00:30 CEST
    ("Europe/Berlin", "2026-10-24T22:30:00", "2026-10-25"),  # 00:30 CEST, the night they go back
    ("Europe/Berlin", "2026-10-25T22:59:00", "2026-10-25"),  # 23:59 CET
    ("America/New_York", "2026-03-08T04:30:00", "2026-03-07"),  # 23:30 EST before the change
    ("America/New_York", "2026-03-09T03:30:00", "2026-03-08"),  # 23:30 EDT
    ("America/New_York", "2026-11-01T05:30:00", "2026-11-01"),  # 00:30 EST after falling back
    ("America/New_York", "2026-11-02T04:30:00", "2026-11-01"),  # 23:30 EST
]


@pytest.mark.parametrize(("zone", "instant", "day"), DST_MOMENTS)
def test_a_completion_counts_on_the_household_day_across_dst(settings, zone, instant, day):
    settings.TIME_ZONE = zone
    moment = datetime.fromisoformat(instant).replace(tzinfo=UTC)
    assert schedule.local_day(moment) == d(day)
    # A daily rhythm anchored on completion is due the next household day, whatever the offset.
    task = rhythm("custom", d("2026-01-01"), "completion", "FREQ=DAILY")
    assert schedule.after_completion(task, due=None, done=schedule.local_day(moment)) == d(day) + timedelta(days=1)


REFUSED = [
    ("FREQ=SECONDLY", "finer than a day"),
    ("FREQ=MINUTELY;INTERVAL=5", "finer than a day"),
    ("FREQ=HOURLY", "finer than a day"),
    ("FREQ=DAILY;BYHOUR=1,2,3", "BYHOUR cannot be used"),
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31", "cannot be used"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never falls on a day"),
    ("FREQ=WEEKLY;BYYEARDAY=400", "BYYEARDAY cannot be used"),
    ("FREQ=FORTNIGHTLY", "not a frequency"),
    ("BYDAY=MO", "needs FREQ"),
    ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be"),
    ("DTSTART:20260101\nRRULE:FREQ=DAILY", "without DTSTART"),
    ("FREQ=MONTHLY;BYDAY=XX", "cannot be read"),
    ("", "write a rule"),
    ("FREQ=MONTHLY;UNTIL=20270101T000000Z", "UNTIL takes a day"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("rule", "words"), REFUSED)
def test_a_rule_too_fine_or_never_due_is_refused_in_words(rule, words):
    problem = schedule.rule_problem(rule)
    assert problem is not None and words in problem
    task = rhythm("custom", d("2026-01-01"), rule=rule)
    with pytest.raises(ValidationError) as raised:
        task.full_clean()
    assert "rrule" in raised.value.message_dict


def test_refusing_a_rule_that_never_matches_is_quick():
    started = timezone.now()
    for rule in ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=YEARLY;BYMONTHDAY=31;BYMONTH=4;BYSETPOS=1"):
        assert "never falls" in (schedule.rule_problem(rule) or "")
    assert schedule.rule_problem("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=3") is None  # leap years only
    assert schedule.rule_problem("FREQ=MONTHLY;BYDAY=5FR;UNTIL=20270101") is None
    assert timezone.now() - started < timedelta(seconds=1)


# --- with the database: task_save, task_complete, skip and snooze ---------------------------


def make(cadence="monthly", starts="2026-01-31", anchor="schedule", **kwargs) -> MaintenanceTask:
    """A task whose first due day (its start, in the past) has been waiting since."""
    task = services.task_save(MaintenanceTask(title="Look", cadence=cadence, anchor=anchor, starts=d(starts), **kwargs))
    MaintenanceTask.objects.filter(pk=task.pk).update(next_due=d(starts))
    task.refresh_from_db()
    return task


def at_noon(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=UTC)


@pytest.mark.django_db
def test_completing_moves_the_next_due_day_and_keeps_the_proof(alice):
    task = make(checklist=["Backups green", "Disks healthy"])
    assert task.next_due == d("2026-01-31")
    done = services.task_complete(
        task, by=alice, completed=at_noon("2026-02-01"), minutes=7, outcome="done", checklist=["Disks healthy"]
    )
    task.refresh_from_db()
    assert (done.due, task.next_due) == (d("2026-01-31"), d("2026-02-28"))
    assert done.checklist == [{"item": "Backups green", "done": False}, {"item": "Disks healthy", "done": True}]
    services.task_complete(task, by=alice, completed=at_noon("2026-02-27"), outcome="done")
    task.refresh_from_db()
    assert task.next_due == d("2026-03-31")


@pytest.mark.django_db
def test_skip_and_snooze_act_on_one_occurrence(alice, settings):
    task = make(starts="2026-01-31")
    services.occurrence_skip(task, by=alice, reason="Away")
    task.refresh_from_db()
    assert task.next_due == d("2026-02-28")
    until = schedule.today() + timedelta(days=3)
    services.occurrence_snooze(task, by=alice, until=until, reason="Waiting for a part")
    task.refresh_from_db()
    assert task.next_due == until
    assert services.current_due(task) == d("2026-02-28")
    snoozed = Occurrence.objects.get(task=task, due=d("2026-02-28"))
    assert (snoozed.action, snoozed.reason) == ("snooze", "Waiting for a part")
    # Completing the snoozed occurrence moves on from its own due day (on schedule: the next
    # calendar date after the day it was done).
    done = services.task_complete(task, by=alice, completed=timezone.now(), outcome="done")
    task.refresh_from_db()
    assert done.due == d("2026-02-28")
    assert task.next_due == schedule.following(task, schedule.today())
    assert Occurrence.objects.get(task=task, due=d("2026-01-31")).action == "skip"


@pytest.mark.django_db
def test_snoozing_to_the_past_is_refused(alice):
    task = make()
    with pytest.raises(ValidationError):
        services.occurrence_snooze(task, by=alice, until=schedule.today(), reason="")


@pytest.mark.django_db
def test_a_completion_anchored_task_counts_from_the_day_it_was_done(alice):
    task = make(cadence="weekly", starts="2026-03-02", anchor="completion")
    services.task_complete(task, by=alice, completed=at_noon("2026-03-05"), outcome="done")
    task.refresh_from_db()
    assert task.next_due == d("2026-03-12")


@pytest.mark.django_db
def test_a_problem_opens_one_follow_up_in_one_click(alice, bob):
    task = make(assignee=bob)
    done = services.task_complete(task, by=bob, outcome="problem", notes="Disk 2 clicks")
    follow_up = services.follow_up_open(done, by=alice)
    assert follow_up.follows == done and follow_up.assignee == bob
    assert follow_up.next_due == schedule.today() and "Disk 2 clicks" in follow_up.description
    assert services.follow_up_open(done, by=alice) == follow_up
    services.task_complete(follow_up, by=bob, outcome="done")
    follow_up.refresh_from_db()
    assert follow_up.next_due is None  # a one-off: done is done
    fine = services.task_complete(task, by=bob, outcome="done")
    with pytest.raises(ValidationError):
        services.follow_up_open(fine)


@pytest.mark.django_db
def test_a_new_task_is_first_due_on_its_start_or_today_on(alice):
    future = schedule.today() + timedelta(days=10)
    assert services.task_save(MaintenanceTask(title="Later", cadence="weekly", starts=future)).next_due == future
    past = services.task_save(MaintenanceTask(title="Rhythm", cadence="monthly", starts=d("2020-01-31")))
    assert past.next_due >= schedule.today() and past.next_due == schedule.following(
        past, schedule.today() - timedelta(days=1)
    )


@pytest.mark.django_db
def test_changing_the_rhythm_moves_the_next_due_day_to_today_or_later(alice):
    task = make(cadence="monthly", starts="2020-01-15")
    assert task.next_due == d("2020-01-15")
    task.cadence, task.rrule = "custom", "FREQ=WEEKLY;BYDAY=MO"
    services.task_save(task)
    assert task.next_due >= schedule.today() and task.next_due.weekday() == 0
