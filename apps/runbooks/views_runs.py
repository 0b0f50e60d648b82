"""Run-through pages: start, the run page (tick, note, finish) and a runbook's runs. Thin: the
rules and the writes are in runs.py. htmx swaps a ticked step in place; without JavaScript
every button is a form that posts and comes back to the step."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.accounts.roles import require
from apps.core.http import MemberRequest
from apps.runbooks import pointers, runs
from apps.runbooks.forms_runs import FinishForm, StepNoteForm
from apps.runbooks.models import Run


def _run_url(run: Run, index: int | None = None) -> str:
    url = reverse("runbooks:run", kwargs={"slug": run.runbook.slug, "run_id": run.pk})
    return f"{url}#step-{index}" if index is not None else url


@require("runbooks")
def run_new(request: MemberRequest, slug: str) -> HttpResponse:
    """GET: what a run-through of this runbook will be; POST: start it (or continue yours)."""
    runbook = runs.readable_runbook(request.user, slug)
    if request.method == "POST":
        try:
            run = runs.run_start(runbook=runbook, user=request.user)
        except runs.RunRefused as refused:
            messages.error(request, str(refused))
            return redirect("runbooks:run_new", slug=slug)
        return redirect(_run_url(run))
    revision = runs.newest_revision(runbook)
    context = {
        "runbook": runbook,
        "revision": revision,
        "steps": runs.step_previews(revision) if revision else [],
        "run_in_progress": runs.in_progress(runbook, request.user),
        "changed_since_run": runs.changed_since_exercised(runbook),
        "pointers": pointers.of_runbook(runbook),
    }
    return render(request, "runbooks/runs/start.html", context)


@require("runbooks")
def run_list(request: MemberRequest, slug: str) -> HttpResponse:
    runbook = runs.readable_runbook(request.user, slug)
    context = {**runs.page_context(runbook, request), "runs": list(runs.visible_runs(runbook, request.user))}
    context["runs_more"] = False
    return render(request, "runbooks/runs/list.html", context)


def _page(request: MemberRequest, run: Run, finish_form: FinishForm | None = None, status: int = 200) -> HttpResponse:
    done, total = runs.progress(run)
    context = {
        "run": run,
        "runbook": run.runbook,
        "parts": runs.page_parts(run),
        "editable": runs.may_continue(run, request.user),
        "done": done,
        "total": total,
        "finish_form": finish_form or FinishForm(),
        "pointers": pointers.of_runbook(run.runbook),
    }
    return render(request, "runbooks/runs/run.html", context, status=status)


@require("runbooks")
def run_page(request: MemberRequest, slug: str, run_id: int) -> HttpResponse:
    return _page(request, runs.visible_run(request.user, slug, run_id))


def _refused(request: MemberRequest, run: Run, words: str, index: int | None = None) -> HttpResponse:
    """Back to the run page with the reason; an htmx request reloads the whole page (the step
    alone cannot say it), as LoginRequiredMiddleware does for a lapsed session."""
    messages.error(request, words)
    if request.htmx:
        return HttpResponse(headers={"HX-Redirect": _run_url(run, index)})
    return redirect(_run_url(run, index))


def _step_answer(request: MemberRequest, run: Run, index: int) -> HttpResponse:
    """The step again: swapped in place for htmx (with the progress count), else the page."""
    if request.htmx and not request.htmx.boosted:
        part = runs.page_parts(run, only=index)[0]
        done, total = runs.progress(run)
        context = {"run": run, "part": part, "editable": runs.may_continue(run, request.user)}
        context.update(done=done, total=total, oob=True)
        response = render(request, "runbooks/runs/step.html", context)
        response["Vary"] = "HX-Request"
        return response
    return redirect(_run_url(run, index))


@require("runbooks")
@require_POST
def run_tick(request: MemberRequest, slug: str, run_id: int, index: int) -> HttpResponse:
    run = runs.visible_run(request.user, slug, run_id)
    try:
        runs.run_tick(run=run, index=index, done=request.POST.get("done") == "1", user=request.user)
    except runs.RunRefused as refused:
        return _refused(request, run, str(refused))
    return _step_answer(request, run, index)


@require("runbooks")
@require_POST
def run_note(request: MemberRequest, slug: str, run_id: int, index: int) -> HttpResponse:
    run = runs.visible_run(request.user, slug, run_id)
    form = StepNoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(list(form.errors["note"]))
        runs.run_note(run=run, index=index, note=form.cleaned_data["note"], user=request.user)
    except (runs.RunRefused, ValidationError) as refused:
        words = "; ".join(refused.messages) if isinstance(refused, ValidationError) else str(refused)
        return _refused(request, run, f"The note was not saved: {words}", index)
    return _step_answer(request, run, index)


@require("runbooks")
@require_POST
def run_finish(request: MemberRequest, slug: str, run_id: int) -> HttpResponse:
    run = runs.visible_run(request.user, slug, run_id)
    form = FinishForm(request.POST)
    if not form.is_valid():
        return _page(request, run, form, status=400)
    try:
        data = form.cleaned_data
        runs.run_finish(run=run, outcome=data["outcome"], note=data["note"], user=request.user)
    except runs.RunRefused as refused:
        messages.error(request, str(refused))
    except ValidationError as invalid:
        form.add_error(None, invalid)
        return _page(request, run, form, status=400)
    else:
        messages.success(request, f"Thank you. The run is recorded: {run.get_outcome_display().lower()}.")
    return redirect(_run_url(run))
