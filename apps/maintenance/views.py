"""The maintenance pages: the agenda and "my tasks", the month grid, a task with its history,
the complete form, skip and snooze, the owner's task editor, completion files and the calendar
feed. Writes go through services.py; who sees what through selectors.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.accounts import access
from apps.accounts.roles import Role, can, forbidden, require, role_of
from apps.core import uploads
from apps.maintenance import feed, schedule, selectors, services
from apps.maintenance.forms import CompletionForm, ReasonForm, TaskForm
from apps.maintenance.models import CalendarFeed, Completion, CompletionFile, MaintenanceTask


def _words(error: ValidationError) -> str:
    return " ".join(error.messages)


@require("maintenance")
def index(request: HttpRequest) -> HttpResponse:
    tasks = selectors.visible_tasks(request.user)
    today = schedule.today()
    feed_row = CalendarFeed.objects.filter(member=request.user.pk).first()
    context: dict[str, Any] = {
        "agenda": selectors.agenda(tasks, today=today),
        "mine": selectors.agenda(selectors.my_tasks(request.user), today=today),
        "today": today,
        "has_tasks": tasks.exists(),
        "paused": tasks.filter(paused=True),
        "plan": can(request.user, "maintenance_plan"),
        "feed": feed_row,
    }
    if feed_row is not None:
        context["feed_url"] = request.build_absolute_uri(reverse("maintenance:feed", args=[feed_row.token]))
    return render(request, "maintenance/index.html", context)


@require("maintenance")
def month(request: HttpRequest) -> HttpResponse:
    today = schedule.today()
    try:
        shown = date.fromisoformat(request.GET.get("month", "") + "-01") if request.GET.get("month") else today
    except ValueError:
        shown = today
    shown = shown.replace(day=1)
    if not 2000 <= shown.year <= 2200:
        shown = today.replace(day=1)
    previous = (shown.replace(day=1) - schedule.timedelta(days=1)).replace(day=1)
    following = (shown.replace(day=28) + schedule.timedelta(days=4)).replace(day=1)
    weeks = selectors.month(
        selectors.visible_tasks(request.user), year=shown.year, month_number=shown.month, today=today
    )
    context = {
        "weeks": weeks,
        "shown": shown,
        "previous": previous,
        "following": following,
        "any": any(day.entries for week in weeks for day in week if day.in_month),
        "plan": can(request.user, "maintenance_plan"),
    }
    return render(request, "maintenance/month.html", context)


def _task_for(request: HttpRequest, pk: int) -> MaintenanceTask:
    return get_object_or_404(selectors.visible_tasks(request.user), pk=pk)


@require("maintenance")
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_for(request, pk)
    context = {
        "task": task,
        "due": services.current_due(task),
        "today": schedule.today(),
        "history": selectors.history(task),
        "skipped": task.occurrences.select_related("by")[:20],
        "may_complete": selectors.may_complete(request.user, task),
        "plan": can(request.user, "maintenance_plan"),
        "assignee": selectors.assignee_label(task),
        "reason_form": ReasonForm(),
        "is_owner": role_of(request.user) == Role.OWNER,
    }
    return render(request, "maintenance/task.html", context)


@require("maintenance")
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_for(request, pk)
    if not selectors.may_complete(request.user, task):
        return forbidden(request, "maintenance_plan")
    form = CompletionForm(request.POST or None, initial={"minutes": task.estimate_minutes, "outcome": "done"})
    ticked = request.POST.getlist("tick") if request.method == "POST" else []
    if request.method == "POST" and form.is_valid():
        try:
            services.task_complete(
                task,
                by=request.user,  # type: ignore[arg-type]
                minutes=form.cleaned_data["minutes"],
                outcome=form.cleaned_data["outcome"],
                notes=form.cleaned_data["notes"],
                checklist=ticked,
                files=request.FILES.getlist("files"),
            )
        except ValidationError as error:
            form.add_error(None, _words(error))
        else:
            task.refresh_from_db()
            after = f" Next due {task.next_due:%A %-d %B}." if task.next_due else ""
            messages.success(request, f"Marked “{task.title}” done.{after}")
            return redirect("maintenance:task", pk=task.pk)
    context = {
        "task": task,
        "form": form,
        "due": services.current_due(task),
        "ticked": set(ticked),
        "file_limit_mb": services.FILE_LIMIT // (1024 * 1024),
    }
    return render(request, "maintenance/complete.html", context, status=400 if form.errors else 200)


@require("maintenance")
@require_POST
def task_skip(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_for(request, pk)
    if not selectors.may_complete(request.user, task):
        return forbidden(request, "maintenance_plan")
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("A reason may be at most 300 characters.")
        services.occurrence_skip(task, by=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, _words(error))
    else:
        task.refresh_from_db()
        messages.success(request, f"Skipped this time. Next due {task.next_due or 'never'}.")
    return redirect("maintenance:task", pk=task.pk)


@require("maintenance")
@require_POST
def task_snooze(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_for(request, pk)
    if not selectors.may_complete(request.user, task):
        return forbidden(request, "maintenance_plan")
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid() or not form.cleaned_data["until"]:
            raise ValidationError("Pick the day to snooze it to (and a reason of at most 300 characters).")
        services.occurrence_snooze(
            task,
            by=request.user,  # type: ignore[arg-type]
            until=form.cleaned_data["until"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, _words(error))
    else:
        messages.success(request, f"Snoozed to {form.cleaned_data['until']:%A %-d %B}.")
    return redirect("maintenance:task", pk=task.pk)


@require("maintenance")
@require_POST
def follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    completion = get_object_or_404(Completion.objects.select_related("task"), pk=pk)
    task = _task_for(request, completion.task_id)
    if not selectors.may_complete(request.user, task):
        return forbidden(request, "maintenance_plan")
    try:
        opened = services.follow_up_open(completion, by=request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, _words(error))
        return redirect("maintenance:task", pk=task.pk)
    messages.success(request, f"Opened “{opened.title}”, due today.")
    return redirect("maintenance:task", pk=opened.pk)


# --- the owner plans ------------------------------------------------------------------------


@require("maintenance_plan")
def task_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    task = get_object_or_404(MaintenanceTask, pk=pk) if pk else None
    initial = {} if task else {"starts": schedule.today()}
    form = TaskForm(request.POST or None, instance=task, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_save(form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            due = f" First due {task.next_due:%A %-d %B %Y}." if task.next_due else ""
            messages.success(request, f"Saved “{task.title}”.{due}")
            return redirect("maintenance:task", pk=task.pk)
    return render(request, "maintenance/task_form.html", {"form": form, "task": task})


@require("maintenance_plan")
@require_POST
def task_delete(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(MaintenanceTask, pk=pk)
    title = task.title
    services.task_delete(task)
    messages.success(request, f"Deleted “{title}” and its history.")
    return redirect("maintenance:index")


# --- files and the calendar feed --------------------------------------------------------------


@require("maintenance")
@require_GET
def completion_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    stored = get_object_or_404(CompletionFile.objects.select_related("completion__task"), pk=pk)
    if not selectors.may_see_file(request.user, stored):
        raise Http404  # whether it exists is not theirs to know
    return uploads.serve(stored.file, name=stored.name, content_type=stored.content_type)


@require("maintenance")
@require_POST
def feed_regenerate(request: HttpRequest) -> HttpResponse:
    services.feed_regenerate(request.user)  # type: ignore[arg-type]
    messages.success(request, "Your calendar address is new; the old one no longer works.")
    return redirect("maintenance:index")


@require("maintenance")
@require_POST
def feed_revoke(request: HttpRequest) -> HttpResponse:
    services.feed_revoke(request.user)  # type: ignore[arg-type]
    messages.success(request, "Your calendar address no longer works.")
    return redirect("maintenance:index")


@login_not_required
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The token is the secret (no sign-in: a phone calendar fetches it). Wrong, revoked, or
    the member may no longer sign in: 404."""
    found = CalendarFeed.objects.select_related("member").filter(token=token).first()
    if found is None or not can(found.member, "maintenance") or access.window_message(found.member):
        raise Http404
    body = feed.build(found.member, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="maintenance.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
