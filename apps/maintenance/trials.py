"""Model-update trials: the household's prompt sets, a trial of an alias's model today against a
candidate, blind votes, the verdict (a completion of the model-update task), and rolling the
alias's route forward to the candidate or back, each recorded as a RouteChange that can be
undone. Every write goes through a function here; views and the Celery task only call them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import mean
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from apps.gateway import services as gateway_services
from apps.gateway.models import AuditEntry, Backend, Endpoint, Route, Target
from apps.maintenance import trials_run
from apps.maintenance.models import (
    Completion,
    MaintenanceTask,
    Prompt,
    PromptSet,
    RouteChange,
    TaskKind,
    Trial,
    TrialAnswer,
    Vote,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User  # settings.AUTH_USER_MODEL

NOTES_LIMIT = 2000  # the owner's words with a verdict (the form's box says so too)
PROMPTS_PER_SET = 30  # a trial asks each twice, one answer after the other: an evening at most
Side = TrialAnswer.Side


# --- Prompt sets -----------------------------------------------------------------------------


def prompt_set_save(prompt_set: PromptSet, fields: list[str] | None = None) -> PromptSet:
    prompt_set.full_clean(validate_constraints=False)
    clash = PromptSet.objects.filter(alias=prompt_set.alias, name=prompt_set.name).exclude(pk=prompt_set.pk)
    if clash.exists():
        raise ValidationError({"name": f"“{prompt_set.alias}” already has a prompt set called “{prompt_set.name}”."})
    prompt_set.save(update_fields=fields)
    return prompt_set


def prompt_set_delete(prompt_set: PromptSet) -> None:
    if prompt_set.trials.exists():
        raise ValidationError("Its trials keep it: the votes and answers refer to these prompts.")
    prompt_set.delete()


def prompt_add(*, prompt_set: PromptSet, text: str) -> Prompt:
    if prompt_set.prompts.count() >= PROMPTS_PER_SET:
        raise ValidationError(f"A prompt set holds at most {PROMPTS_PER_SET} prompts; start another set.")
    order = (prompt_set.prompts.aggregate(last=Max("order"))["last"] or 0) + 1
    prompt = Prompt(prompt_set=prompt_set, text=text.strip(), order=order)
    prompt.full_clean()
    prompt.save()
    return prompt


def prompt_delete(prompt: Prompt) -> None:
    if TrialAnswer.objects.filter(prompt=prompt).exists():
        raise ValidationError("A trial has answers to this prompt; it stays so the trial can still be read.")
    prompt.delete()


def own_questions(user: User, query: str = ""):
    """The member's own questions from their own conversations (never anyone else's), newest first."""
    from apps.chat.models import Conversation, Message

    questions = Message.objects.filter(
        conversation__in=Conversation.objects.of(user), role=Message.Role.USER
    ).select_related("conversation")
    if query:
        questions = questions.filter(content__icontains=query)
    return questions.order_by("-id")


def prompt_pick(*, prompt_set: PromptSet, message_id: int, user: User) -> Prompt:
    """A real question from the member's own conversations, copied into the set."""
    question = own_questions(user).filter(pk=message_id).first()
    if question is None:
        raise ValidationError("That question is not in your conversations.")
    return prompt_add(prompt_set=prompt_set, text=question.content)


# --- Starting and running a trial ------------------------------------------------------------


def current_target(alias: str) -> Target | None:
    """The alias's model today: the first target of its route."""
    return Target.objects.filter(route__alias=alias).select_related("backend").order_by("position", "id").first()


def trial_start(*, prompt_set: PromptSet, candidate_backend: str, candidate_model: str, by: User) -> Trial:
    today = current_target(prompt_set.alias)
    if today is None:
        raise ValidationError(
            f"“{prompt_set.alias}” has no route with a target, so there is no model today to compare with."
        )
    candidate_model = candidate_model.strip()
    errors: dict[str, str] = {}
    if not Backend.objects.filter(name=candidate_backend).exists():
        errors["candidate_backend"] = "Choose one of the gateway's backends."
    if not candidate_model:
        errors["candidate_model"] = "Name the model to try, like llama3.2:3b."
    elif (candidate_backend, candidate_model) == (today.backend.name, today.model):
        errors["candidate_model"] = "That is the model the alias uses today; choose another one to compare."
    if not prompt_set.prompts.exists():
        errors["__all__"] = "The prompt set has no prompts yet: add a few first."
    if errors:
        raise ValidationError(errors)
    trial = Trial(
        prompt_set=prompt_set,
        alias=prompt_set.alias,
        current_backend=today.backend.name,
        current_model=today.model,
        candidate_backend=candidate_backend,
        candidate_model=candidate_model,
        seed=random.SystemRandom().randrange(1, 2**31),
        started_by=by,
    )
    trial.full_clean()
    trial.save()
    from apps.maintenance.tasks import trial_run_task

    # Queued once the row is committed: a worker must be able to read it.
    transaction.on_commit(lambda: trial_run_task.delay(trial.pk))
    return trial


QUEUED_WAIT = timedelta(minutes=2)  # no worker took it by then: say so


def trial_stalled(trial: Trial, now: datetime | None = None) -> str:
    """Why a trial that should be moving is not, in words, or "": no worker took it, or its
    worker stopped (a restart, a kill) long after every answer's own limit."""
    age = (now or timezone.now()) - trial.created
    if trial.status == Trial.Status.QUEUED and age > QUEUED_WAIT:
        return "No worker has taken the trial yet: is the HomeOps worker running? (The status board says.)"
    bound = timedelta(seconds=trials_run.ANSWER_SECONDS * 2 * max(1, trial.prompt_set.prompts.count())) + QUEUED_WAIT
    if trial.status == Trial.Status.RUNNING and age > bound:
        return "The trial has run longer than its answers may take: its worker probably stopped."
    return ""


def _prompts(trial: Trial) -> list[Prompt]:
    return list(trial.prompt_set.prompts.all())


def trial_run(trial_id: int) -> None:
    """Every prompt on today's model, then every prompt on the candidate, so that a small
    machine never holds both models at once. Progress is kept on the trial row for the page.
    Safe to run twice: the claim lets one run through, answers already stored are kept."""
    claimed = Trial.objects.filter(pk=trial_id, status=Trial.Status.QUEUED).update(status=Trial.Status.RUNNING)
    if not claimed:
        return
    trial = Trial.objects.select_related("prompt_set").get(pk=trial_id)
    try:
        prompts = _prompts(trial)
        for side, backend_name, model in (
            (Side.CURRENT, trial.current_backend, trial.current_model),
            (Side.CANDIDATE, trial.candidate_backend, trial.candidate_model),
        ):
            backend = Backend.objects.filter(name=backend_name).first()
            info = trials_run.backend_info(backend) if backend else None
            for prompt in prompts:
                if TrialAnswer.objects.filter(trial=trial, prompt=prompt, side=side).exists():
                    continue
                if info is None:
                    measured = trials_run.Measured(error=f"the backend {backend_name} no longer exists")
                else:
                    measured = trials_run.answer_now(info, model, prompt.text)
                _answer_save(trial, prompt, side, measured)
    except Exception as exc:  # a bug or a database that went away: the page says so, not a spinner forever
        Trial.objects.filter(pk=trial_id).update(
            status=Trial.Status.FAILED, error=f"The trial stopped: {type(exc).__name__}"[:300], finished=timezone.now()
        )
        raise
    Trial.objects.filter(pk=trial_id).update(status=Trial.Status.VOTING, finished=timezone.now())


def _answer_save(trial: Trial, prompt: Prompt, side: str, measured: trials_run.Measured) -> None:
    backend, model = (
        (trial.current_backend, trial.current_model)
        if side == Side.CURRENT
        else (trial.candidate_backend, trial.candidate_model)
    )
    with transaction.atomic():
        # The gateway's private record of every request to a backend: a trial's too (metadata only).
        AuditEntry.objects.create(
            created=timezone.now(),
            member=trial.started_by,
            endpoint=Endpoint.CHAT,
            alias=trial.alias,
            backend=backend,
            model=model,
            status=502 if measured.error else 200,
            completion_tokens=measured.tokens or 0,
            ttft_ms=measured.first_token_ms,
            error=f"model trial {trial.pk}: {measured.error}"[:500] if measured.error else "",
        )
        TrialAnswer.objects.create(
            trial=trial,
            prompt=prompt,
            side=side,
            text=measured.text,
            error=measured.error[:300],
            first_token_ms=measured.first_token_ms,
            tokens=measured.tokens,
            tokens_per_second=measured.tokens_per_second,
        )
        Trial.objects.filter(pk=trial.pk).update(progress=F("progress") + 1)


# --- Blind votes -------------------------------------------------------------------------------


def left_side(trial: Trial, prompt: Prompt) -> str:
    """Which model is A for this prompt: shuffled per prompt by the trial's seed, the same on
    every reload, so the owner cannot learn a side from its place."""
    coin = random.Random(f"{trial.seed}:{prompt.pk}").random()  # noqa: S311 (a shuffle, not a secret)
    return Side.CURRENT if coin < 0.5 else Side.CANDIDATE


def vote_cast(*, trial: Trial, prompt: Prompt, choice: str, note: str = "", by: User) -> Vote:
    if trial.status != Trial.Status.VOTING:
        raise ValidationError("Votes are taken once the answers are in, until the verdict.")
    if prompt.prompt_set_id != trial.prompt_set_id:
        raise ValidationError("That prompt is not part of this trial.")
    if outcome(trial).revealed:  # the names are shown: a vote changed now would not be blind
        raise ValidationError("The names are shown now, so the votes are final.")
    vote = Vote.objects.filter(trial=trial, prompt=prompt).first() or Vote(trial=trial, prompt=prompt)
    vote.choice, vote.note, vote.by = choice, note.strip(), by
    vote.left_side = left_side(trial, prompt)
    vote.full_clean(validate_constraints=False)
    vote.save()
    return vote


@dataclass
class SideSummary:
    side: str
    backend: str
    model: str
    wins: int = 0
    answered: int = 0
    failed: int = 0
    first_token_ms: float | None = None
    tokens_per_second: float | None = None
    tokens: float | None = None

    @property
    def label(self) -> str:
        return f"{self.backend} / {self.model}"


@dataclass
class Row:
    """One prompt of the trial page: A and B (shuffled), and the vote if cast."""

    prompt: Prompt
    a: TrialAnswer | None
    b: TrialAnswer | None
    a_side: str
    vote: Vote | None

    @property
    def b_side(self) -> str:
        return Side.CANDIDATE if self.a_side == Side.CURRENT else Side.CURRENT


@dataclass
class Outcome:
    rows: list[Row]
    voted: int
    revealed: bool
    current: SideSummary
    candidate: SideSummary
    ties: int = 0
    both_bad: int = 0
    sides: dict[str, SideSummary] = field(default_factory=dict)

    @property
    def win_rate(self) -> int | None:
        """The candidate's share of the votes, in percent (a tie counts half)."""
        if not self.voted:
            return None
        return round(100 * (self.candidate.wins + self.ties / 2) / self.voted)


def _average(values: list) -> float | None:
    present = [v for v in values if v is not None]
    return round(mean(present), 1) if present else None


def outcome(trial: Trial) -> Outcome:
    """Everything the trial page shows. Names and measures are only for after the last vote."""
    prompts = _prompts(trial)
    answers = {(a.prompt_id, a.side): a for a in trial.answers.all()}
    votes = {v.prompt_id: v for v in trial.votes.all()}
    current = SideSummary(Side.CURRENT, trial.current_backend, trial.current_model)
    candidate = SideSummary(Side.CANDIDATE, trial.candidate_backend, trial.candidate_model)
    sides = {Side.CURRENT.value: current, Side.CANDIDATE.value: candidate}
    rows, ties, both_bad = [], 0, 0
    for prompt in prompts:
        a_side = left_side(trial, prompt)
        b_side = Side.CANDIDATE if a_side == Side.CURRENT else Side.CURRENT
        vote = votes.get(prompt.pk)
        rows.append(Row(prompt, answers.get((prompt.pk, a_side)), answers.get((prompt.pk, b_side)), a_side, vote))
        if vote is None:
            continue
        if vote.choice == Vote.Choice.TIE:
            ties += 1
        elif vote.choice == Vote.Choice.BAD:
            both_bad += 1
        else:  # what A was when the vote was cast
            winner = vote.left_side if vote.choice == Vote.Choice.A else _other(vote.left_side)
            sides[winner].wins += 1
    for summary in sides.values():
        mine = [a for (_, side), a in answers.items() if side == summary.side]
        summary.answered = sum(1 for a in mine if not a.error)
        summary.failed = sum(1 for a in mine if a.error)
        summary.first_token_ms = _average([a.first_token_ms for a in mine])
        summary.tokens_per_second = _average([a.tokens_per_second for a in mine])
        summary.tokens = _average([a.tokens for a in mine if not a.error])
    voted = len([p for p in prompts if p.pk in votes])
    revealed = bool(prompts) and voted == len(prompts) and trial.status in (Trial.Status.VOTING, Trial.Status.DONE)
    return Outcome(rows, voted, revealed, current, candidate, ties, both_bad, sides)


def _other(side: str) -> str:
    return Side.CANDIDATE if side == Side.CURRENT else Side.CURRENT


# --- The verdict, and the route rolled forward or back ----------------------------------------


def model_update_task(alias: str) -> MaintenanceTask | None:
    """The monthly model-update task the verdict completes: one that names the alias in its
    title first, else any model-update task."""
    tasks = MaintenanceTask.objects.filter(kind=TaskKind.MODEL_UPDATE, paused=False)
    return tasks.filter(title__icontains=alias).first() or tasks.first()


def _targets_now(alias: str) -> list[dict]:
    return [
        {"backend": t.backend.name, "model": t.model, "max_tokens": t.max_tokens, "context_tokens": t.context_tokens}
        for t in Target.objects.filter(route__alias=alias).select_related("backend").order_by("position", "id")
    ]


def _same(a: list[dict], b: list[dict]) -> bool:
    return [(t["backend"], t["model"]) for t in a] == [(t["backend"], t["model"]) for t in b]


def _set_targets(route: Route, targets: list[dict]) -> None:
    """Through the gateway's own service, which validates and announces the new snapshot."""
    backends = {b.name: b for b in Backend.objects.filter(name__in=[t["backend"] for t in targets])}
    missing = sorted({t["backend"] for t in targets} - backends.keys())
    if missing:
        raise ValidationError(f"The backend {', '.join(missing)} no longer exists, so the route cannot be set back.")
    existing = {(t.backend.name, t.model): t for t in route.targets.select_related("backend")}
    rows = []
    for item in targets:
        row = existing.get((item["backend"], item["model"])) or Target(backend=backends[item["backend"]])
        row.model = item["model"]
        row.max_tokens = item.get("max_tokens", row.max_tokens)
        row.context_tokens = item.get("context_tokens", row.context_tokens)
        rows.append(row)
    gateway_services.route_set_targets(route, rows)


def _change(*, alias: str, after: list[dict], trial: Trial | None, by: User, words: str) -> RouteChange:
    route = Route.objects.select_for_update().filter(alias=alias).first()
    if route is None:
        raise ValidationError(f"There is no route “{alias}” any more.")
    before = _targets_now(alias)
    _set_targets(route, after)
    change = RouteChange.objects.create(trial=trial, alias=alias, before=before, after=_targets_now(alias), by=by)
    # The gateway's audit log keeps settings changes beside the requests (services.gateway_settings_log_content).
    AuditEntry.objects.create(
        created=timezone.now(), member=by, endpoint=Endpoint.SETTINGS, alias=alias, status=200, error=words[:500]
    )
    return change


def forward_targets(trial: Trial) -> list[dict]:
    """The candidate first, then every target the route has today (the old first one is the
    fallback): the same limits as today's first target."""
    now = _targets_now(trial.alias)
    first = now[0] if now else {}
    candidate = {
        "backend": trial.candidate_backend,
        "model": trial.candidate_model,
        "max_tokens": first.get("max_tokens", 2048),
        "context_tokens": first.get("context_tokens", 8192),
    }
    rest = [t for t in now if (t["backend"], t["model"]) != (trial.candidate_backend, trial.candidate_model)]
    return [candidate, *rest]


def last_change(alias: str) -> RouteChange | None:
    return RouteChange.objects.filter(alias=alias, undone=None).first()


def undoable() -> set[int]:
    """The newest change of each alias that is not undone: the one an undo can reverse."""
    latest: dict[str, int] = {}
    for alias, pk in RouteChange.objects.filter(undone=None).order_by("-at", "-id").values_list("alias", "pk"):
        latest.setdefault(alias, pk)
    return set(latest.values())


def trial_decide(*, trial: Trial, verdict: str, by: User, notes: str = "") -> Trial:
    """The owner's verdict after the last vote, in one click: forward puts the candidate
    first, back restores the route as it was before the alias's last change, stay leaves
    it. Recorded on the trial and as a completion of the model-update task when there is one."""
    if verdict not in Trial.Verdict.values:
        raise ValidationError("Choose roll forward, stay or roll back.")
    with transaction.atomic():
        trial = Trial.objects.select_for_update().get(pk=trial.pk)
        if trial.status == Trial.Status.DONE:
            raise ValidationError("This trial already has a verdict.")
        result = outcome(trial)
        if not result.revealed:
            raise ValidationError("Vote on every prompt first; the verdict comes after the reveal.")
        who = by.get_username()
        if verdict == Trial.Verdict.FORWARD:
            _change(
                alias=trial.alias,
                after=forward_targets(trial),
                trial=trial,
                by=by,
                words=f"{trial.alias} rolled forward to {trial.candidate_backend} / {trial.candidate_model} "
                f"by {who} after trial {trial.pk}",
            )
        elif verdict == Trial.Verdict.BACK:
            previous = last_change(trial.alias)
            if previous is None:
                raise ValidationError(f"“{trial.alias}” has no earlier route to go back to.")
            _change(
                alias=trial.alias,
                after=previous.before,
                trial=trial,
                by=by,
                words=f"{trial.alias} rolled back to {targets_text(previous.before)} by {who} after trial {trial.pk}",
            )
            # The change it reverses is over; the roll back is now the one an undo reverses.
            RouteChange.objects.filter(pk=previous.pk).update(undone=timezone.now())
        trial.verdict, trial.status = verdict, Trial.Status.DONE
        trial.completion = _complete_task(trial, result, by=by, notes=notes)
        trial.save(update_fields=["verdict", "status", "completion"])
    return trial


def targets_text(targets: list[dict]) -> str:
    return ", ".join(f"{t['backend']} / {t['model']}" for t in targets) or "no targets"


def verdict_notes(trial: Trial, result: Outcome, notes: str = "") -> str:
    lines = [
        f"Trial {trial.pk} of “{trial.alias}” on the prompt set “{trial.prompt_set.name}”: "
        f"{result.current.label} (today) against {result.candidate.label}.",
        f"Votes: the candidate {result.candidate.wins}, today's model {result.current.wins}, "
        f"ties {result.ties}, both bad {result.both_bad}; the candidate's win rate {result.win_rate} %.",
        f"Verdict: {Trial.Verdict(trial.verdict).label}.",
    ]
    if notes.strip():
        lines.append(notes.strip()[:NOTES_LIMIT])
    return "\n".join(lines)


def _complete_task(trial: Trial, result: Outcome, *, by: User, notes: str) -> Completion | None:
    task = model_update_task(trial.alias)
    if task is None:
        return None
    from apps.maintenance.services import task_complete  # the calendar's one way to complete a task

    return task_complete(task, by=by, outcome=Completion.Outcome.DONE, notes=verdict_notes(trial, result, notes))


def route_change_undo(*, change: RouteChange, by: User) -> RouteChange:
    """Put the route back as it was before `change`: only the alias's latest change, and only
    while the route is still as that change left it (an edit since is the owner's to redo)."""
    with transaction.atomic():
        change = RouteChange.objects.select_for_update().get(pk=change.pk)
        if change.undone is not None:
            raise ValidationError("This change was already undone.")
        if last_change(change.alias) != change:
            raise ValidationError("Undo the later change of this route first.")
        if not _same(_targets_now(change.alias), change.after):
            raise ValidationError(
                f"“{change.alias}” was edited since; change it under Settings → Model gateway instead."
            )
        route = Route.objects.select_for_update().get(alias=change.alias)
        _set_targets(route, change.before)
        change.undone = timezone.now()
        change.save(update_fields=["undone"])
        AuditEntry.objects.create(
            created=timezone.now(),
            member=by,
            endpoint=Endpoint.SETTINGS,
            alias=change.alias,
            status=200,
            error=f"{change.alias}: change of {timezone.localtime(change.at):%Y-%m-%d %H:%M} undone by "
            f"{by.get_username()}, back to {targets_text(change.before)}"[:500],
        )
    return change
