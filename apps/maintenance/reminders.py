"""What a maintenance reminder says, and when one may go out. Pure: services.reminders_send
claims each reminder (a Reminder row, unique) and sends it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings

from apps.maintenance import schedule
from apps.maintenance.models import MaintenanceTask, Reminder
from apps.notify.events import Event
from apps.notify.models import MAINTENANCE

DUE_SOON_DAYS = 2  # the "due soon" reminder goes this many days ahead (or later, if planned late)


def in_sending_hours(now: datetime) -> bool:
    """Reminders wait for the household's day (HOMEOPS_MAINTENANCE_REMIND_FROM/UNTIL)."""
    hour = schedule.timezone.localtime(now, schedule.zone()).hour
    return settings.MAINTENANCE_REMIND_FROM <= hour < settings.MAINTENANCE_REMIND_UNTIL


def kind_for(due: date, today: date) -> str | None:
    if due < today:
        return Reminder.Kind.OVERDUE
    if due <= today + timedelta(days=DUE_SOON_DAYS):
        return Reminder.Kind.DUE_SOON
    return None


def when(due: date, today: date) -> str:
    days = (due - today).days
    if days < 0:
        return f"was due {due:%A %-d %B}"
    return {0: "is due today", 1: "is due tomorrow"}.get(days, f"is due {due:%A %-d %B}")


def subject(task: MaintenanceTask, kind: str, due: date, today: date) -> str:
    prefix = "Overdue" if kind == Reminder.Kind.OVERDUE else "Due soon"
    return f"{prefix}: {task.title} ({when(due, today).removeprefix('is ').removeprefix('was ')})"


def text(task: MaintenanceTask, kind: str, due: date, today: date, who: str) -> str:
    link = f"/maintenance/{task.pk}/"
    about = f"about {task.estimate_minutes} minutes, for {who}"
    return f"{task.title} {when(due, today)} ({about}). Open {link} to mark it done, skip or snooze it."


def event(task: MaintenanceTask, kind: str, due: date, today: date, who: str, now: datetime) -> Event:
    return Event(
        kind=MAINTENANCE,
        title=subject(task, kind, due, today),
        text=text(task, kind, due, today, who),
        created=now.isoformat(),
    )


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def digest_text(tasks: list[MaintenanceTask], today: date) -> str:
    lines = [f"- {task.title}: {when(task.next_due, today)}" for task in tasks if task.next_due]
    return f"Your maintenance this week at {settings.HOUSEHOLD_NAME}:\n" + "\n".join(lines)
