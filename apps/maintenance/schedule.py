"""When a task falls due: dates computed with dateutil's rrule in the household's time zone.

A task falls due on a day, not at an instant, so every computation here is on dates (a moment,
like a completion, is first turned into the household's local day): DST cannot move a due day.

Two things dateutil does not do the way a household expects, handled here:
- A monthly or quarterly task anchored on the 29th-31st falls on the month's last day when the
  month is shorter, and never skips a month (rrule drops dates that do not exist, so quarterly
  from 31 January would skip April). The built-in cadences ask rrule for "the last of the days
  28..anchor that exist this month" (BYMONTHDAY=28,29,30,31;BYSETPOS=-1); yearly from
  29 February falls on 28 February in other years the same way.
- A hand-written RRULE is bounded: a task falls on days, so rules finer than a day (HOURLY,
  MINUTELY, SECONDLY, BYHOUR ...) are refused in words, and only the parts a household rhythm
  needs are accepted (those keep a rule that never matches from spinning through the years).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from dateutil import rrule as du
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

# Parts of an RRULE each frequency may use. Anything else (BYYEARDAY, BYWEEKNO, BYHOUR,
# BYEASTER ...) is refused: not needed for a household's rhythm, and some make rrule search
# thousands of years for a date that never comes.
_COMMON = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"}
ALLOWED_PARTS = {
    "DAILY": _COMMON | {"BYDAY"},
    "WEEKLY": _COMMON | {"BYDAY"},
    "MONTHLY": _COMMON | {"BYDAY", "BYMONTHDAY", "BYSETPOS", "BYMONTH"},
    "YEARLY": _COMMON | {"BYDAY", "BYMONTHDAY", "BYSETPOS", "BYMONTH"},
}
TOO_FINE = {"HOURLY", "MINUTELY", "SECONDLY"}
MAX_INTERVAL = 100
HORIZON_DAYS = 366  # how far ahead upcoming() looks by default (the calendar feed: 12 months)
_FREQ = {"DAILY": du.DAILY, "WEEKLY": du.WEEKLY, "MONTHLY": du.MONTHLY, "YEARLY": du.YEARLY}


class Rhythm(Protocol):
    """What schedule needs of a task (a MaintenanceTask, saved or not)."""

    cadence: str
    rrule: str
    anchor: str
    starts: date


# --- the household's day -------------------------------------------------------------------


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def today() -> date:
    return timezone.localdate(timezone.now(), zone())


def local_day(moment: datetime) -> date:
    """The household's calendar day of an instant (a completion at 00:30 in Berlin after the
    clocks changed is on that day, not the UTC day before)."""
    return timezone.localtime(moment, zone()).date()


# --- rules ---------------------------------------------------------------------------------


def rule_problem(text: str) -> str | None:
    """Why a hand-written RRULE cannot be a task's rhythm, in words; None when it can."""
    text = text.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if not text:
        return "write a rule like FREQ=MONTHLY;BYDAY=1SA (the first Saturday of each month)"
    if "\n" in text or "DTSTART" in text.upper():
        return "write only the RRULE line, without DTSTART: the task's first due day is its start"
    parts: dict[str, str] = {}
    for piece in text.split(";"):
        name, sep, value = piece.partition("=")
        if not sep or not name.strip() or not value.strip():
            return f"“{piece}” is not NAME=VALUE; parts are separated by ;"
        parts[name.strip().upper()] = value.strip().upper()
    freq = parts.get("FREQ")
    if freq is None:
        return "the rule needs FREQ (DAILY, WEEKLY, MONTHLY or YEARLY)"
    if freq in TOO_FINE:
        return f"FREQ={freq} is finer than a day: a task falls due on days, at most once a day (use DAILY)"
    if freq not in ALLOWED_PARTS:
        return f"FREQ={freq} is not a frequency; use DAILY, WEEKLY, MONTHLY or YEARLY"
    if extra := sorted(set(parts) - ALLOWED_PARTS[freq]):
        allowed = ", ".join(sorted(ALLOWED_PARTS[freq] - {"FREQ"}))
        return f"{', '.join(extra)} cannot be used with FREQ={freq} here; a task's rule may use {allowed}"
    if "UNTIL" in parts and not re.fullmatch(r"\d{8}", parts["UNTIL"]):
        return "UNTIL takes a day like 20271231 (a task falls due on days, not at a time)"
    interval = parts.get("INTERVAL", "1")
    if not re.fullmatch(r"\d{1,3}", interval) or not 1 <= int(interval) <= MAX_INTERVAL:
        return f"INTERVAL must be a whole number from 1 to {MAX_INTERVAL}"
    try:
        du.rrulestr("RRULE:" + text, dtstart=_midnight(date(2000, 1, 1)))
        # Does it ever fall on a day? rrule searches up to the year 9999 for a rule that never
        # matches (seconds of work), so ask from 9960: the forty years left hold every kind of
        # year (leap or not, each weekday of 1 January). COUNT and UNTIL only shorten a rule.
        open_ended = ";".join(f"{k}={v}" for k, v in parts.items() if k not in {"COUNT", "UNTIL"})
        probe = du.rrulestr("RRULE:" + open_ended, dtstart=_midnight(date(9960, 1, 1)))
    except (ValueError, TypeError, IndexError) as error:
        return f"the rule cannot be read: {error}"
    if not isinstance(probe, du.rrule):
        return "write a single rule"
    if probe.after(_midnight(date(9960, 1, 1)), inc=True) is None:
        return "the rule never falls on a day (check BYMONTH, BYMONTHDAY and BYSETPOS together)"
    return None


def validate_rule(text: str) -> None:
    if problem := rule_problem(text):
        raise ValidationError({"rrule": problem}, code="rrule")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def series(task: Rhythm, start: date) -> du.rrule:
    """The task's due days counted from `start` (its first due day, or a completion day)."""
    if task.cadence == "custom":
        text = task.rrule.strip()
        if text.upper().startswith("RRULE:"):
            text = text[len("RRULE:") :]
        rule = du.rrulestr("RRULE:" + text, dtstart=_midnight(start))
        assert isinstance(rule, du.rrule)
        return rule
    if task.cadence == "weekly":
        return du.rrule(du.WEEKLY, dtstart=_midnight(start))
    # Monthly, quarterly, yearly: the last existing day of 28..anchor, so the 31st clamps to the
    # month's last day without skipping the month.
    days = list(range(28, start.day + 1)) if start.day > 28 else [start.day]
    if task.cadence == "annually":
        return du.rrule(du.YEARLY, dtstart=_midnight(start), bymonth=start.month, bymonthday=days, bysetpos=-1)
    interval = 3 if task.cadence == "quarterly" else 1
    return du.rrule(du.MONTHLY, interval=interval, dtstart=_midnight(start), bymonthday=days, bysetpos=-1)


def first_due(task: Rhythm) -> date | None:
    """The first due day on or after the start (a custom rule may not fall on the start day)."""
    found = series(task, task.starts).after(_midnight(task.starts), inc=True)
    return found.date() if found else None


def following(task: Rhythm, day: date) -> date | None:
    """The next due day after `day`: on the calendar (counted from the start), or counted from
    `day` itself when the task is anchored on completion. None when a COUNT/UNTIL rule has ended."""
    start = day if task.anchor == "completion" else task.starts
    found = series(task, start).after(_midnight(day))
    return found.date() if found else None


def after_completion(task: Rhythm, *, due: date | None, done: date) -> date | None:
    """Where the next due day moves when the occurrence due on `due` was done on `done`.

    On schedule: the next calendar date after both (done late, the missed dates are not piled
    up as overdue; done early, the next date is still the one after the due day).
    On completion: counted from the day it was done.
    """
    if task.anchor == "completion":
        return following(task, done)
    return following(task, max(due, done) if due else done)


def upcoming(task: Rhythm, *, next_due: date | None, until: date, limit: int = 400) -> list[date]:
    """Due days from next_due up to `until` (a task anchored on completion is projected as if
    each were done on its day). Bounded by `limit` (a DAILY task has 366 a year)."""
    days: list[date] = []
    day = next_due
    while day is not None and day <= until and len(days) < limit:
        days.append(day)
        day = following(task, day)
    return days


def horizon(start: date | None = None) -> date:
    return (start or today()) + timedelta(days=HORIZON_DAYS)
