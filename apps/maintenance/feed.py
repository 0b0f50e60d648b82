"""A member's iCalendar feed (RFC 5545, built with the icalendar library): their upcoming due
days for twelve months as all-day events, each linking back to its task.

UIDs are the task's id and the due day, so a phone calendar keeps the same event when the feed
is fetched again, or when its address is regenerated (only the token changes).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import icalendar  # type: ignore[import-untyped]  # no stubs or py.typed in the pinned version
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse
from django.utils import timezone

from apps.maintenance import schedule, selectors

EVENTS_LIMIT = 2000  # a daily task assigned to a member has 366 a year; the feed stays small


def uid(task_id: int, due_iso: str) -> str:
    return f"task-{task_id}-{due_iso.replace('-', '')}@homeops"


def build(member: AbstractBaseUser, *, base_url: str, now: datetime | None = None) -> bytes:
    now = now or timezone.now()
    today = schedule.local_day(now)
    until = schedule.horizon(today)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//HomeOps//Maintenance//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{settings.HOUSEHOLD_NAME}: maintenance")
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    count = 0
    for task in selectors.my_tasks(member).filter(paused=False, next_due__isnull=False).order_by("pk"):
        link = base_url.rstrip("/") + reverse("maintenance:task", args=[task.pk])
        for due in schedule.upcoming(task, next_due=task.next_due, until=until):
            if count >= EVENTS_LIMIT:
                break
            event = icalendar.Event()
            event.add("uid", uid(task.pk, due.isoformat()))
            event.add("dtstamp", now)
            event.add("dtstart", due)  # a date: an all-day event in any zone
            event.add("dtend", due + timedelta(days=1))
            event.add("summary", task.title)
            event.add("description", f"About {task.estimate_minutes} minutes. {link}")
            event.add("url", link)
            event.add("categories", [task.get_category_display()])
            event.add("transp", "TRANSPARENT")
            cal.add_component(event)
            count += 1
    return cal.to_ical()
