"""The owner's trial pages: prompt sets, a trial's progress, blind votes, the reveal and the
verdict, and the route changes that can be undone. Thin: every write is a trials.* service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRefresh

from apps.accounts.roles import require
from apps.core.http import MemberRequest
from apps.core.markdown import render as render_markdown
from apps.gateway import selectors as gateway_selectors
from apps.gateway.models import Backend
from apps.maintenance import trials
from apps.maintenance.forms_trials import PromptForm, PromptSetForm, TrialForm, VoteForm
from apps.maintenance.models import Prompt, PromptSet, RouteChange, Trial, Vote

CAPABILITY = "maintenance_trials"


def _words(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@require(CAPABILITY)
def index(request: MemberRequest) -> HttpResponse:
    sets = list(PromptSet.objects.prefetch_related("prompts"))
    for prompt_set in sets:
        today = trials.current_target(prompt_set.alias)
        prompt_set.today = f"{today.backend.name} / {today.model}" if today else ""  # type: ignore[attr-defined]
    context = {
        "sets": sets,
        "trials": Trial.objects.select_related("prompt_set")[:20],
        "changes": RouteChange.objects.select_related("trial", "by")[:10],
        "undoable": trials.undoable(),
    }
    return render(request, "maintenance/trials/index.html", context)


@require(CAPABILITY)
def prompt_set_new(request: MemberRequest) -> HttpResponse:
    form = PromptSetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            prompt_set = trials.prompt_set_save(form.instance)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Prompt set “{prompt_set.name}” made: add the household's questions.")
            return redirect("maintenance:prompt_set", pk=prompt_set.pk)
    return render(request, "maintenance/trials/prompt_set_new.html", {"form": form})


def _set_page(request: MemberRequest, prompt_set: PromptSet, **forms) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    today = trials.current_target(prompt_set.alias)
    context = {
        "prompt_set": prompt_set,
        "prompts": prompt_set.prompts.all(),
        "form": forms.get("form") or PromptSetForm(instance=prompt_set),
        "prompt_form": forms.get("prompt_form") or PromptForm(),
        "trial_form": forms.get("trial_form") or TrialForm(),
        "questions": trials.own_questions(request.user, query)[:20],
        "query": query,
        "today": today,
        "known_models": gateway_selectors.known_models(list(Backend.objects.all())),
        "limit": trials.PROMPTS_PER_SET,
        "trials": prompt_set.trials.all()[:10],
    }
    return render(request, "maintenance/trials/prompt_set.html", context)


@require(CAPABILITY)
def prompt_set(request: MemberRequest, pk: int) -> HttpResponse:
    prompt_set = get_object_or_404(PromptSet, pk=pk)
    form = PromptSetForm(request.POST or None, instance=prompt_set)
    if request.method == "POST" and form.is_valid():
        try:
            trials.prompt_set_save(form.instance)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("maintenance:prompt_set", pk=pk)
    return _set_page(request, prompt_set, form=form)


@require(CAPABILITY)
@require_POST
def prompt_set_delete(request: MemberRequest, pk: int) -> HttpResponse:
    prompt_set = get_object_or_404(PromptSet, pk=pk)
    try:
        trials.prompt_set_delete(prompt_set)
    except ValidationError as exc:
        messages.error(request, f"“{prompt_set.name}” stays: {_words(exc)}")
        return redirect("maintenance:prompt_set", pk=pk)
    messages.success(request, f"Deleted “{prompt_set.name}”.")
    return redirect("maintenance:trials")


@require(CAPABILITY)
@require_POST
def prompt_add(request: MemberRequest, pk: int) -> HttpResponse:
    prompt_set = get_object_or_404(PromptSet, pk=pk)
    form = PromptForm(request.POST)
    if form.is_valid():
        try:
            trials.prompt_add(prompt_set=prompt_set, text=form.cleaned_data["text"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Prompt added.")
            return redirect("maintenance:prompt_set", pk=pk)
    return _set_page(request, prompt_set, prompt_form=form)


@require(CAPABILITY)
@require_POST
def prompt_pick(request: MemberRequest, pk: int) -> HttpResponse:
    prompt_set = get_object_or_404(PromptSet, pk=pk)
    try:
        trials.prompt_pick(prompt_set=prompt_set, message_id=int(request.POST.get("message", 0)), user=request.user)
    except (ValueError, ValidationError) as exc:
        messages.error(request, _words(exc) if isinstance(exc, ValidationError) else "Choose a question.")
    else:
        messages.success(request, "Your question was added to the set.")
    return redirect("maintenance:prompt_set", pk=pk)


@require(CAPABILITY)
@require_POST
def prompt_delete(request: MemberRequest, pk: int) -> HttpResponse:
    prompt = get_object_or_404(Prompt, pk=pk)
    try:
        trials.prompt_delete(prompt)
    except ValidationError as exc:
        messages.error(request, _words(exc))
    else:
        messages.success(request, "Prompt removed.")
    return redirect("maintenance:prompt_set", pk=prompt.prompt_set_id)


@require(CAPABILITY)
@require_POST
def trial_start(request: MemberRequest, pk: int) -> HttpResponse:
    prompt_set = get_object_or_404(PromptSet, pk=pk)
    form = TrialForm(request.POST)
    if form.is_valid():
        try:
            trial = trials.trial_start(
                prompt_set=prompt_set,
                candidate_backend=form.cleaned_data["candidate_backend"],
                candidate_model=form.cleaned_data["candidate_model"],
                by=request.user,
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(None if name == "__all__" else name, errors)
        else:
            return redirect("maintenance:trial", pk=trial.pk)
    return _set_page(request, prompt_set, trial_form=form)


def _trial_context(trial: Trial) -> dict:
    result = trials.outcome(trial)
    for row in result.rows:
        for answer in (row.a, row.b):
            if answer is not None:
                answer.html = render_markdown(answer.text)  # type: ignore[attr-defined]
    return {
        "trial": trial,
        "result": result,
        "total": 2 * len(result.rows),
        "running": trial.status in (Trial.Status.QUEUED, Trial.Status.RUNNING),
        "stalled": trials.trial_stalled(trial),
        "vote_choices": Vote.Choice.choices,
        "previous": trials.last_change(trial.alias),
        "changes": trial.route_changes.select_related("by"),
        "undoable": trials.undoable(),
        "task": trials.model_update_task(trial.alias),
    }


@require(CAPABILITY)
@vary_on_headers("HX-Request")
def trial(request: MemberRequest, pk: int) -> HttpResponse:
    trial = get_object_or_404(Trial.objects.select_related("prompt_set", "completion"), pk=pk)
    running = trial.status in (Trial.Status.QUEUED, Trial.Status.RUNNING)
    if request.htmx and not request.htmx.boosted:
        if not running:  # the answers are in: the whole page, with its vote forms
            return HttpResponseClientRefresh()
        return render(request, "maintenance/trials/partials/progress.html", _trial_context(trial))
    return render(request, "maintenance/trials/trial.html", _trial_context(trial))


@require(CAPABILITY)
@require_POST
def trial_vote(request: MemberRequest, pk: int) -> HttpResponse:
    trial = get_object_or_404(Trial, pk=pk)
    number = request.POST.get("prompt", "")
    prompt = get_object_or_404(Prompt, pk=int(number) if number.isdigit() else 0, prompt_set_id=trial.prompt_set_id)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose A, B, a tie or both bad.")
        return redirect(f"{trial_url(trial)}#prompt-{prompt.pk}")
    try:
        trials.vote_cast(
            trial=trial,
            prompt=prompt,
            choice=form.cleaned_data["choice"],
            note=form.cleaned_data["note"],
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, _words(exc))
    result = trials.outcome(trial)
    if result.revealed:
        return redirect(f"{trial_url(trial)}#reveal")
    following = next((row.prompt.pk for row in result.rows if row.vote is None), prompt.pk)
    return redirect(f"{trial_url(trial)}#prompt-{following}")


def trial_url(trial: Trial) -> str:
    from django.urls import reverse

    return reverse("maintenance:trial", args=[trial.pk])


@require(CAPABILITY)
@require_POST
def trial_decide(request: MemberRequest, pk: int) -> HttpResponse:
    trial = get_object_or_404(Trial, pk=pk)
    try:
        trial = trials.trial_decide(
            trial=trial, verdict=request.POST.get("verdict", ""), by=request.user, notes=request.POST.get("notes", "")
        )
    except ValidationError as exc:
        messages.error(request, _words(exc))
    else:
        said = {
            Trial.Verdict.FORWARD: f"“{trial.alias}” now asks {trial.candidate_backend} / {trial.candidate_model} "
            f"first, with {trial.current_backend} / {trial.current_model} as the fallback.",
            Trial.Verdict.STAY: f"“{trial.alias}” stays with {trial.current_backend} / {trial.current_model}.",
            Trial.Verdict.BACK: f"“{trial.alias}” is back on its earlier route.",
        }[Trial.Verdict(trial.verdict)]
        done = " Recorded as this month's model update." if trial.completion_id else ""
        messages.success(request, said + done)
    return redirect(f"{trial_url(trial)}#verdict")


@require(CAPABILITY)
@require_POST
def route_change_undo(request: MemberRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(RouteChange, pk=pk)
    try:
        trials.route_change_undo(change=change, by=request.user)
    except ValidationError as exc:
        messages.error(request, f"Not undone: {_words(exc)}")
    else:
        messages.success(request, f"Undone: “{change.alias}” is back to {trials.targets_text(change.before)}.")
    back = request.POST.get("next", "")
    if back.startswith("/maintenance/trials/") and "//" not in back:
        return redirect(back)
    return redirect("maintenance:trials")
