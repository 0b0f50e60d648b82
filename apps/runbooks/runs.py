"""Run-throughs: start a run pinned to a revision, tick steps, finish with an outcome.

Who may: anyone who reads the runbook (Audience.readable_by) may start a run; only the member
who started a run ticks, notes and finishes it; the owner reads every run, the others their
own. A run lives in the database from its first click, so a reload or a sign-out loses
nothing: the runbook's page offers "continue" until it is finished.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.safestring import mark_safe

from apps.accounts.roles import Role, role_of
from apps.core import markdown
from apps.runbooks import pointers, steps
from apps.runbooks.models import Audience, Revision, Run, Runbook, RunStep

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

RUNS_ON_PAGE = 10  # the runbook page's list; the runs page shows them all


class RunRefused(Exception):
    """A run that cannot start or change, with the reason in words for the page."""


# --- reads -----------------------------------------------------------------------------------


def may_read(user: User | AnonymousUser, runbook: Runbook) -> bool:
    return runbook.audience in Audience.readable_by(role_of(user))


def readable_runbook(user: User | AnonymousUser, slug: str) -> Runbook:
    """The runbook if the member may read it; 404 otherwise (a hidden runbook does not exist)."""
    runbook = Runbook.objects.filter(slug=slug).readable_by(role_of(user)).first()
    if runbook is None:
        raise Http404("No such runbook.")
    return runbook


def newest_revision(runbook: Runbook) -> Revision | None:
    return runbook.revisions.order_by("-number").first()


def visible_runs(runbook: Runbook, user: User | AnonymousUser) -> QuerySet[Run]:
    """The owner sees every run; the others their own."""
    runs = (
        runbook.runs.select_related("started_by", "revision")
        .annotate(steps_total=Count("steps"), steps_done=Count("steps", filter=Q(steps__done_at__isnull=False)))
        .order_by("-started", "-id")  # newest first; Meta.ordering does not apply to a GROUP BY query
    )
    return runs if role_of(user) == Role.OWNER else runs.filter(started_by_id=user.pk)


def visible_run(user: User | AnonymousUser, slug: str, run_id: int) -> Run:
    runbook = readable_runbook(user, slug)
    run = visible_runs(runbook, user).filter(pk=run_id).first()
    if run is None:
        raise Http404("No such run.")
    return run


def in_progress(runbook: Runbook, user: User | AnonymousUser) -> Run | None:
    """The member's own unfinished run of this runbook (at most one: run_start continues it)."""
    if not user.is_authenticated:
        return None
    return runbook.runs.filter(started_by_id=user.pk, finished__isnull=True).order_by("-started").first()


def may_continue(run: Run, user: User | AnonymousUser) -> bool:
    return run.finished is None and run.started_by_id is not None and run.started_by_id == user.pk


@dataclass
class Changed:
    """The runbook's body is not the one its last successful run followed."""

    exercised: datetime  # when that run finished
    revision: int  # the revision it followed


def changed_since_exercised(runbook: Runbook) -> Changed | None:
    last = (
        runbook.runs.filter(outcome=Run.Outcome.WORKED, finished__isnull=False)
        .select_related("revision")
        .order_by("-finished")
        .first()
    )
    newest = newest_revision(runbook)
    if last is None or newest is None or last.finished is None or newest.body == last.revision.body:
        return None
    return Changed(exercised=last.finished, revision=last.revision.number)


@dataclass
class Part:
    """A piece of the run page: the revision's Markdown between steps, or one step."""

    html: str = ""  # rendered and sanitized (apps/core/markdown.py)
    step: RunStep | None = None
    detail_html: str = ""  # the step's indented lines


RENDER_CACHE_SECONDS = 7 * 86400


def render_key(revision: Revision) -> str:
    digest = hashlib.sha256(revision.body.encode()).hexdigest()[:16]
    return f"runbooks:run-parts:v1:{revision.pk}:{digest}"


def _rendered(revision: Revision) -> list[tuple[str, int | None, str]]:
    """The revision's body cut at its steps and rendered: (html, step index or None, details).
    A revision never changes, so it is rendered once and cached: a 100,000-character body with
    200 steps takes about 1.7 s to render and every tick would pay it again. The key holds the
    body's hash as well, should a deleted runbook's revision id ever come back."""
    key = render_key(revision)
    rendered = cache.get(key)
    if rendered is None:
        rendered = []
        for segment in steps.segments(revision.body):
            if segment.step is None:
                rendered.append((markdown.render(segment.markdown, line_breaks=False), None, ""))
            else:
                detail = steps.detail_markdown(segment.step)
                rendered.append(
                    (
                        markdown.render(segment.step.text, line_breaks=False),
                        segment.step.index,
                        markdown.render(detail, line_breaks=False) if detail else "",
                    )
                )
        cache.set(key, rendered, RENDER_CACHE_SECONDS)
    return rendered


def step_previews(revision: Revision) -> list[str]:
    """The revision's steps, rendered: what a run-through will ask (the start page)."""
    return [mark_safe(html) for html, index, _ in _rendered(revision) if index is not None]  # noqa: S308 (sanitized)


def page_parts(run: Run, only: int | None = None) -> list[Part]:
    """The run's revision cut at its steps, each step with its row (ticks, notes); with `only`,
    just that step's part (what a tick swaps in)."""
    from apps.runbooks import attachments  # attachments imports this module's readers

    rows = {step.index: step for step in run.steps.all()}
    images = attachments.image_names(run.runbook)

    def safe(html: str) -> str:
        return mark_safe(attachments.show_images(html, run.runbook, images))  # noqa: S308 (sanitized by render)

    parts = []
    for html, index, detail in _rendered(run.revision):
        if index is None and only is None:
            parts.append(Part(html=safe(html)))
        elif index is not None and index in rows and only in (None, index):
            parts.append(Part(html=safe(html), step=rows[index], detail_html=safe(detail) if detail else ""))
    return parts


def progress(run: Run) -> tuple[int, int]:
    """(steps done, steps) of a run."""
    counts = run.steps.aggregate(total=Count("id"), done=Count("id", filter=Q(done_at__isnull=False)))
    return counts["done"], counts["total"]


# --- writes ----------------------------------------------------------------------------------


@transaction.atomic
def run_start(*, runbook: Runbook, user: User) -> Run:
    """A run of the runbook's newest revision, its steps copied from that revision's body; the
    member's unfinished run of this runbook if there is one (two clicks make one run)."""
    if not may_read(user, runbook):
        raise RunRefused("This runbook is not for your role.")
    Runbook.objects.select_for_update().filter(pk=runbook.pk).first()  # one start at a time per runbook
    existing = in_progress(runbook, user)
    if existing is not None:
        return existing
    revision = newest_revision(runbook)
    if revision is None:
        raise RunRefused("This runbook has not been saved yet, so there is nothing to run through.")
    run = Run.objects.create(runbook=runbook, revision=revision, started_by=user)
    RunStep.objects.bulk_create(
        RunStep(run=run, index=step.index, text=step.text) for step in steps.parse(revision.body)
    )
    return run


def _open_step(run: Run, index: int, user: User) -> RunStep:
    if not may_continue(run, user):
        raise RunRefused(
            "This run is finished." if run.finished else "Only the person who started this run can change it."
        )
    step = run.steps.filter(index=index).first()
    if step is None:
        raise RunRefused("That step is not part of this run.")
    return step


def run_tick(*, run: Run, index: int, done: bool, user: User) -> RunStep:
    """Tick (done_at = now) or untick a step. Ticking a ticked step keeps its first time."""
    step = _open_step(run, index, user)
    if done and step.done_at is None:
        step.done_at = timezone.now()
    elif not done:
        step.done_at = None
    _write_step(step, done_at=step.done_at)
    return step


def _write_step(step: RunStep, **values: Any) -> None:
    """Only while the run is open: a tick racing the run's finish in another tab loses."""
    if not RunStep.objects.filter(pk=step.pk, run__finished__isnull=True).update(**values):
        raise RunRefused("This run is finished.")


def run_note(*, run: Run, index: int, note: str, user: User) -> RunStep:
    step = _open_step(run, index, user)
    step.note = note.strip()
    step.full_clean(exclude=["run", "text"])
    _write_step(step, note=step.note)
    return step


def run_finish(*, run: Run, outcome: str, note: str, user: User) -> Run:
    """Close the run with its outcome. A run that worked sets the runbook's last_exercised.
    The conditional UPDATE makes a double submit harmless: only the first one finishes it."""
    if not may_continue(run, user):
        raise RunRefused("This run is already finished." if run.finished else "Only its starter can finish this run.")
    if outcome not in Run.Outcome.values:
        raise ValidationError({"outcome": "Say how it went: it worked, it partly worked, or it did not work."})
    # Judged on a copy: a refused note leaves the run as it was, still open on the page.
    Run(outcome=outcome, note=note.strip()).clean_fields(exclude=["runbook", "revision", "started_by"])
    finished = timezone.now()
    with transaction.atomic():
        claimed = Run.objects.filter(pk=run.pk, finished__isnull=True).update(
            outcome=outcome, note=note.strip(), finished=finished
        )
        if not claimed:
            raise RunRefused("This run is already finished.")
        if outcome == Run.Outcome.WORKED:
            Runbook.objects.filter(pk=run.runbook_id).update(last_exercised=finished)
    run.outcome, run.note, run.finished = outcome, note.strip(), finished
    return run


# --- the runbook page's part -----------------------------------------------------------------


def page_context(runbook: Runbook, request: HttpRequest) -> dict[str, Any]:
    """What the runbook's page shows of its runs (templates/runbooks/partials/runs.html) and of
    its linked hosts' and services' secret pointers (partials/pointers.html)."""
    user = request.user
    runs = list(visible_runs(runbook, user)[:RUNS_ON_PAGE])
    return {
        "runbook": runbook,
        "runs": runs,
        "runs_more": visible_runs(runbook, user).count() > len(runs),
        "run_in_progress": in_progress(runbook, user),
        "may_run": may_read(user, runbook) and runbook.revision > 0,
        "changed_since_run": changed_since_exercised(runbook),
        "pointers": pointers.of_runbook(runbook),
    }
