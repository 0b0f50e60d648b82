"""Writes for the maintenance rhythm: tasks, completions (with their files), skipping or
snoozing one occurrence, follow-ups, calendar feeds. The task pages, the configuration file,
the audit (audit.py) and the model-update trials call these; schedule.py decides the dates."""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core import uploads
from apps.maintenance import reminders, schedule, selectors
from apps.maintenance.models import (
    Anchor,
    Cadence,
    CalendarFeed,
    Completion,
    CompletionFile,
    MaintenanceTask,
    Occurrence,
    Reminder,
)
from apps.notify.services import Planned, for_channels

if TYPE_CHECKING:
    from django.contrib.auth.models import User  # settings.AUTH_USER_MODEL

log = logging.getLogger(__name__)

RHYTHM_FIELDS = ("cadence", "rrule", "anchor", "starts")


# --- tasks -----------------------------------------------------------------------------------


def task_save(task: MaintenanceTask, fields: list[str] | None = None) -> MaintenanceTask:
    """Judge the task by its model's rules (the RRULE through schedule.rule_problem), then keep
    its next due day: for a new task, or when the rhythm of an existing one changes, its first
    due day from today on (the rhythm counts from `starts`; a start in the past does not make
    a new task overdue)."""
    task.full_clean()
    with transaction.atomic():
        if task.pk is None:
            task.next_due = None if task.paused else _first_from(task, max(task.starts, schedule.today()))
            fields = None
        else:
            before = MaintenanceTask.objects.select_for_update().get(pk=task.pk)
            rhythm_changed = any(getattr(before, name) != getattr(task, name) for name in RHYTHM_FIELDS)
            if task.paused:
                task.next_due = None
            elif rhythm_changed or before.paused:
                task.next_due = _first_from(task, max(task.starts, schedule.today()))
            else:
                task.next_due = before.next_due
            if fields is not None:
                fields = [*fields, "next_due"]
        task.save(update_fields=fields)
    return task


def _first_from(task: MaintenanceTask, day: date) -> date | None:
    found = schedule.series(task, task.starts).after(datetime.combine(day, datetime.min.time()), inc=True)
    return found.date() if found else None


def task_delete(task: MaintenanceTask) -> None:
    """With its completions, files and reminders."""
    for completion in task.completions.all():
        for stored in completion.files.all():
            stored.file.delete(save=False)
    task.delete()


def current_due(task: MaintenanceTask) -> date | None:
    """The due day of the occurrence the task waits for now: its own day even when it was
    snoozed to a later one (next_due is then the snoozed-to day)."""
    if task.next_due is None:
        return None
    snoozed = (
        Occurrence.objects.filter(task=task, action=Occurrence.Action.SNOOZE, until=task.next_due)
        .values_list("due", flat=True)
        .first()
    )
    return snoozed or task.next_due


# --- completions -----------------------------------------------------------------------------


def task_complete(
    task: MaintenanceTask,
    *,
    by: User | None,
    completed: datetime | None = None,
    minutes: int | None = None,
    outcome: str = Completion.Outcome.DONE,
    notes: str = "",
    checklist: Iterable[str] | Iterable[dict] | None = None,
    due: date | None = None,
    files: Iterable[UploadedFile] = (),
) -> Completion:
    """Record that the task was done and move its next due day (schedule.after_completion).

    `due` is the occurrence it completes (the one waiting now when not given); `checklist` the
    ticked items (texts, or [{"item", "done"}] as stored); `completed` now when not given;
    `files` screenshots or logs, all judged (apps/core/uploads.py) before anything is written.
    """
    completed = completed or timezone.now()
    files = list(files)
    if len(files) > FILES_PER_COMPLETION:
        raise ValidationError(f"At most {FILES_PER_COMPLETION} files per completion.")
    for upload in files:
        uploads.judge(upload)
    with transaction.atomic():
        task = MaintenanceTask.objects.select_for_update().get(pk=task.pk)
        waiting = current_due(task)
        if due is None:
            due = waiting
        completion = Completion(
            task=task,
            due=due,
            by=by,
            completed=completed,
            minutes=minutes,
            outcome=outcome,
            notes=notes,
            checklist=_ticks(task, checklist),
        )
        completion.full_clean()
        completion.save()
        for upload in files:
            completion_file_add(completion, upload=upload)
        # An earlier occurrence completed late leaves the one waiting now alone.
        if not task.paused and due is not None and (waiting is None or due >= waiting):
            task.next_due = schedule.after_completion(task, due=due, done=schedule.local_day(completed))
            task.save(update_fields=["next_due"])
    return completion


def _ticks(task: MaintenanceTask, checklist: Iterable[str] | Iterable[dict] | None) -> list[dict]:
    ticked: set[str] = set()
    for entry in checklist or ():
        if isinstance(entry, dict):
            if entry.get("done"):
                ticked.add(str(entry.get("item", "")))
        else:
            ticked.add(str(entry))
    return [{"item": item, "done": item in ticked} for item in task.checklist_items]


def follow_up_open(completion: Completion, *, by: User | None = None) -> MaintenanceTask:
    """A completion that found a problem (or was only partly done) opens a one-off task due
    today, assigned like the task, linked to the completion; a second click finds the same one."""
    if completion.outcome == Completion.Outcome.DONE:
        raise ValidationError("This was done without a problem; there is nothing to follow up.")
    existing = completion.follow_ups.order_by("pk").first()
    if existing is not None:
        return existing
    task = completion.task
    notes = completion.notes.strip()
    follow_up = MaintenanceTask(
        title=f"Follow up: {task.title}"[:200],
        description=(f"Found on {schedule.local_day(completion.completed):%-d %B %Y}:\n\n{notes}" if notes else ""),
        kind="plain",
        category=task.category,
        cadence=Cadence.CUSTOM,
        rrule="FREQ=DAILY;COUNT=1",  # once: done, it has no next due day
        anchor=Anchor.SCHEDULE,
        starts=schedule.today(),
        estimate_minutes=task.estimate_minutes,
        runbook=task.runbook,
        assignee=task.assignee,
        assignee_role=task.assignee_role,
        follows=completion,
    )
    return task_save(follow_up)


# --- one occurrence: skip or snooze ---------------------------------------------------------


def occurrence_skip(task: MaintenanceTask, *, by: User | None, reason: str = "") -> Occurrence:
    """Skip the occurrence waiting now: the next due day is the one after it."""
    with transaction.atomic():
        task = MaintenanceTask.objects.select_for_update().get(pk=task.pk)
        due = current_due(task)
        if due is None:
            raise ValidationError("Nothing is due to skip: the task is paused or has ended.")
        occurrence, _ = Occurrence.objects.update_or_create(
            task=task, due=due, defaults={"action": Occurrence.Action.SKIP, "until": None, "reason": reason, "by": by}
        )
        occurrence.full_clean()
        task.next_due = schedule.following(task, due)
        task.save(update_fields=["next_due"])
    return occurrence


def occurrence_snooze(task: MaintenanceTask, *, by: User | None, until: date, reason: str = "") -> Occurrence:
    """Move the occurrence waiting now to a later day (once more moves it again)."""
    with transaction.atomic():
        task = MaintenanceTask.objects.select_for_update().get(pk=task.pk)
        due = current_due(task)
        if due is None:
            raise ValidationError("Nothing is due to snooze: the task is paused or has ended.")
        if until <= schedule.today():
            raise ValidationError({"until": "snooze to a day after today"})
        occurrence = Occurrence.objects.filter(task=task, due=due).first() or Occurrence(task=task, due=due)
        occurrence.action, occurrence.until, occurrence.reason, occurrence.by = (
            Occurrence.Action.SNOOZE,
            until,
            reason,
            by,
        )
        occurrence.full_clean()
        occurrence.save()
        task.next_due = until
        task.save(update_fields=["next_due"])
    return occurrence


# --- calendar feeds --------------------------------------------------------------------------


def feed_regenerate(member: User) -> CalendarFeed:
    """A new secret address (the old one stops working at once)."""
    feed, _ = CalendarFeed.objects.update_or_create(member=member, defaults={"token": secrets.token_urlsafe(32)})
    return feed


def feed_revoke(member: User) -> None:
    CalendarFeed.objects.filter(member=member).delete()


# --- completion files ------------------------------------------------------------------------

FILE_LIMIT = uploads.MAX_BYTES  # bytes, each
FILES_PER_COMPLETION = 10


def completion_file_add(completion: Completion, *, upload: UploadedFile) -> CompletionFile:
    """Keep a screenshot or a log with a completion, checked by size and content."""
    judged = uploads.judge(upload)
    if completion.files.count() >= FILES_PER_COMPLETION:
        raise ValidationError(f"At most {FILES_PER_COMPLETION} files per completion.")
    stored = CompletionFile(completion=completion, name=judged.name, content_type=judged.content_type, size=judged.size)
    stored.file.save(judged.stored_name(), upload, save=False)
    stored.save()
    return stored


# --- reminders -------------------------------------------------------------------------------


def _claim(**row: object) -> bool:
    """Insert the Reminder row; True only for the one run whose insert won (the unique
    constraints make a second worker's insert fail, and that worker sends nothing)."""
    try:
        with transaction.atomic():
            Reminder.objects.create(**row)
    except IntegrityError:
        return False
    return True


def _email(member: User, subject: str, body: str) -> None:
    address = getattr(member, "email", "")
    if not address:
        return
    try:
        send_mail(subject, body, None, [address])
    except (OSError, smtplib.SMTPException) as error:  # claimed, so not retried: at most once
        log.warning("Maintenance reminder to member %s not sent: %s", member.pk, error)


def reminders_send(*, now: datetime | None = None) -> list[Planned]:
    """Claim and send what is due: once when a task is due soon, once when overdue (to its
    members by email, and through the alert channels), and on Mondays the optional weekly
    digest. Returns the channel deliveries for notify.deliver; a channel in its quiet hours
    holds the alert for notify's digest instead. Safe to run any number of times at once."""
    now = now or timezone.now()
    if not reminders.in_sending_hours(now):
        return []
    today = schedule.local_day(now)
    planned: list[Planned] = []
    horizon = today + timedelta(days=reminders.DUE_SOON_DAYS)
    for task in MaintenanceTask.objects.filter(paused=False, next_due__lte=horizon).select_related("assignee"):
        assert task.next_due is not None
        kind = reminders.kind_for(task.next_due, today)
        if kind is None:
            continue
        who = selectors.assignee_label(task)
        subject = reminders.subject(task, kind, task.next_due, today)
        body = reminders.text(task, kind, task.next_due, today, who)
        for position, member in enumerate(selectors.recipients(task)):
            if not _claim(task=task, due=task.next_due, kind=kind, member=member):
                continue
            _email(member, subject, body)
            if position == 0:  # the first member's row claims the channels' message too
                planned.extend(for_channels(reminders.event(task, kind, task.next_due, today, who, now), now=now))
    if settings.MAINTENANCE_WEEKLY_DIGEST and today.weekday() == 0:
        _digests(today)
    return planned


def _digests(today: date) -> None:
    week = reminders.monday(today)
    for member in get_user_model().objects.filter(is_active=True).exclude(email="").order_by("pk"):
        agenda = selectors.agenda(selectors.my_tasks(member), today=today)
        if agenda.due and _claim(task=None, due=week, kind=Reminder.Kind.DIGEST, member=member):
            _email(member, f"Maintenance this week ({len(agenda.due)})", reminders.digest_text(agenda.due, today))
