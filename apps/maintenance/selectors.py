"""Reads for the maintenance pages, the dashboard panel, the calendar feed and reminders: who
sees which tasks, who may complete one, the agenda and the month grid.

Who sees what (the capabilities are in apps/accounts/roles.py; this narrows them to tasks):
the owner sees every task; family sees the whole calendar; a caretaker (signed in only during
the handover's access window) sees the tasks assigned to them or to caretakers. Completing,
skipping and snoozing: the owner any task, the others the tasks assigned to them or their role.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from apps.accounts.roles import Role, can, role_of
from apps.maintenance import schedule
from apps.maintenance.models import Cadence, Category, Completion, CompletionFile, MaintenanceTask, Occurrence

if TYPE_CHECKING:
    from django.contrib.auth.models import User  # settings.AUTH_USER_MODEL

WEEK = 7


def _role(user: AbstractBaseUser | AnonymousUser) -> Role | None:
    return role_of(user)  # type: ignore[arg-type]


def assigned_q(user: AbstractBaseUser | AnonymousUser) -> Q:
    """Tasks assigned to the member or to their role (a task assigned to nobody is the owner's)."""
    role = _role(user)
    mine = Q(assignee=user.pk) | Q(assignee_role=role or "-")
    if role == Role.OWNER:
        mine |= Q(assignee=None, assignee_role="")
    return mine


def visible_tasks(user: AbstractBaseUser | AnonymousUser) -> QuerySet[MaintenanceTask]:
    tasks = MaintenanceTask.objects.select_related("assignee", "runbook")
    role = _role(user)
    if role is None or not can(user, "maintenance"):  # type: ignore[arg-type]
        return tasks.none()
    if role == Role.CARETAKER:
        return tasks.filter(assigned_q(user))
    return tasks


def my_tasks(user: AbstractBaseUser | AnonymousUser) -> QuerySet[MaintenanceTask]:
    return visible_tasks(user).filter(assigned_q(user))


def may_complete(user: AbstractBaseUser | AnonymousUser, task: MaintenanceTask) -> bool:
    """Complete, skip or snooze it; open a follow-up from its completions."""
    role = _role(user)
    if role == Role.OWNER:
        return True
    if role is None:
        return False
    return task.assignee_id == user.pk or (bool(task.assignee_role) and task.assignee_role == role)


def may_see_file(user: AbstractBaseUser | AnonymousUser, stored: CompletionFile) -> bool:
    """The proof kept with a completion: the owner, or whoever the task is assigned to."""
    return may_complete(user, stored.completion.task)


def assignee_label(task: MaintenanceTask) -> str:
    if task.assignee_id:
        member = task.assignee
        return (member.get_full_name() or member.get_username()) if member else "a member"
    if task.assignee_role:
        return {"owner": "the owner", "family": "family", "caretaker": "the caretaker"}[task.assignee_role]
    return "the owner"


def recipients(task: MaintenanceTask) -> list[User]:
    """Who a reminder about the task goes to: its member, everyone with its role, or the owners."""
    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    if task.assignee_id:
        return list(users.filter(pk=task.assignee_id))
    return list(users.filter(groups__name=task.assignee_role or Role.OWNER))


# --- the agenda ----------------------------------------------------------------------------


@dataclass
class Agenda:
    overdue: list[MaintenanceTask] = field(default_factory=list)
    this_week: list[MaintenanceTask] = field(default_factory=list)
    later: list[MaintenanceTask] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.this_week or self.later)

    @property
    def due(self) -> list[MaintenanceTask]:
        return self.overdue + self.this_week


def agenda(tasks: QuerySet[MaintenanceTask], *, today: date | None = None) -> Agenda:
    today = today or schedule.today()
    out = Agenda()
    for task in tasks.filter(paused=False, next_due__isnull=False).order_by("next_due", "title", "pk"):
        assert task.next_due is not None
        if task.next_due < today:
            out.overdue.append(task)
        elif task.next_due < today + timedelta(days=WEEK):
            out.this_week.append(task)
        else:
            out.later.append(task)
    return out


def overdue_days(task: MaintenanceTask, today: date | None = None) -> int:
    return ((today or schedule.today()) - task.next_due).days if task.next_due else 0


# --- the month grid ------------------------------------------------------------------------


@dataclass
class Day:
    day: date
    in_month: bool
    today: bool
    entries: list[tuple[MaintenanceTask, bool]]  # (task, overdue)


def month(
    tasks: QuerySet[MaintenanceTask], *, year: int, month_number: int, today: date | None = None
) -> list[list[Day]]:
    """Weeks (Monday first) of the month, each day with the tasks due on it."""
    today = today or schedule.today()
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month_number)
    first, last = weeks[0][0], weeks[-1][-1]
    by_day: dict[date, list[tuple[MaintenanceTask, bool]]] = {}
    for task in tasks.filter(paused=False, next_due__isnull=False, next_due__lte=last):
        for due in schedule.upcoming(task, next_due=task.next_due, until=last):
            if due >= first:
                by_day.setdefault(due, []).append((task, due < today))
    return [[Day(day, day.month == month_number, day == today, by_day.get(day, [])) for day in week] for week in weeks]


def history(task: MaintenanceTask, limit: int = 50) -> QuerySet[Completion]:
    return task.completions.select_related("by").prefetch_related("files", "follow_ups")[:limit]


# --- The ledger's annual review ------------------------------------------------------------


def annual_review_tasks() -> list[MaintenanceTask]:
    """The household's annual review: yearly tasks in the Review category (the example's
    "Annual architecture review"), by title."""
    return list(
        MaintenanceTask.objects.filter(cadence=Cadence.ANNUALLY, category=Category.REVIEW).order_by("title", "pk")
    )


def completions_with_notes(task_ids: Sequence[int], *, starting: str) -> list[Completion]:
    """The tasks' completions whose notes begin with `starting`, newest first."""
    found = Completion.objects.filter(task_id__in=list(task_ids), notes__startswith=starting)
    return list(found.select_related("task", "by").order_by("-completed", "-pk"))


def completions_between(task_ids: Sequence[int], *, start: datetime, end: datetime) -> list[Completion]:
    """The tasks' completions recorded from `start` to before `end`, newest first."""
    found = Completion.objects.filter(task_id__in=list(task_ids), completed__gte=start, completed__lt=end)
    return list(found.select_related("task", "by").order_by("-completed", "-pk"))


def skipped(*, first: date, last: date) -> list[Occurrence]:
    """Occurrences skipped with a due day from `first` to `last`, oldest first."""
    found = Occurrence.objects.filter(action=Occurrence.Action.SKIP, due__gte=first, due__lte=last)
    return list(found.select_related("task", "by").order_by("due", "task__title"))
