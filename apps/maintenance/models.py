"""The household's maintenance rhythm: recurring tasks, their completions (with the quarterly
audit as a typed completion), reminders sent once, each member's calendar feed, and
model-update trials that compare an alias's model with a candidate on the household's prompts.

Dates are the household's (settings.TIME_ZONE): a task falls due on a day, not at an instant,
so recurrence is computed on dates in that zone (schedule.py) and DST cannot move a due day.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from apps.accounts.roles import Role
from apps.core import rules

DESCRIPTION_LIMIT = 20_000
CHECKLIST_LIMIT = 50  # items


class Category(models.TextChoices):
    CHECK = "check", "Check"
    UPDATE = "update", "Update"
    BACKUP = "backup", "Backup"
    SECURITY = "security", "Security"
    COSTS = "costs", "Costs"
    REVIEW = "review", "Review"


class Cadence(models.TextChoices):
    WEEKLY = "weekly", "Every week"
    MONTHLY = "monthly", "Every month"
    QUARTERLY = "quarterly", "Every quarter"
    ANNUALLY = "annually", "Every year"
    CUSTOM = "custom", "Custom rule (RRULE)"


class Anchor(models.TextChoices):
    SCHEDULE = "schedule", "On schedule (the next date follows the calendar)"
    COMPLETION = "completion", "After completion (the next date counts from when it was done)"


class TaskKind(models.TextChoices):
    PLAIN = "plain", "Task"
    AUDIT = "audit", "Quarterly audit"
    MODEL_UPDATE = "model_update", "Model update (with a trial)"
    PATCH_REVIEW = "patch_review", "Patch review"


class MaintenanceTask(models.Model):
    title = models.CharField(max_length=200, error_messages={"blank": "Give the task a title, like “Weekly look”."})
    description = models.TextField(blank=True, validators=[MaxLengthValidator(DESCRIPTION_LIMIT)])
    kind = models.CharField(max_length=16, choices=TaskKind.choices, default=TaskKind.PLAIN)
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.CHECK)
    cadence = models.CharField(max_length=16, choices=Cadence.choices, default=Cadence.MONTHLY)
    rrule = models.CharField(
        max_length=500,
        blank=True,
        help_text="Only for a custom rule, RFC 5545 without DTSTART: “FREQ=MONTHLY;BYDAY=1SA”.",
    )
    anchor = models.CharField(max_length=16, choices=Anchor.choices, default=Anchor.SCHEDULE)
    starts = models.DateField(help_text="The first due day; later ones follow from it.")
    estimate_minutes = models.PositiveIntegerField(default=15, validators=rules.whole_between(1, 24 * 60))
    runbook = models.ForeignKey(
        "runbooks.Runbook", null=True, blank=True, on_delete=models.SET_NULL, related_name="maintenance_tasks"
    )
    # Who does it: a member, or everyone with a role; neither means the owner.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="maintenance_tasks"
    )
    assignee_role = models.CharField(max_length=16, blank=True, choices=Role.choices)
    checklist = models.JSONField(default=list, blank=True, help_text="Items to tick when it is done, one per line.")
    next_due = models.DateField(null=True, blank=True)  # kept by the services; None when paused
    paused = models.BooleanField(default=False)
    follows = models.ForeignKey(  # a follow-up opened from a completion that found a problem
        "Completion", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    created = models.DateTimeField(auto_now_add=True)

    noun = "task"

    class Meta:
        ordering = ["next_due", "title", "id"]
        indexes = [models.Index(fields=["paused", "next_due"], name="maintenance_task_due")]  # due and overdue
        constraints = [
            models.CheckConstraint(
                condition=Q(assignee__isnull=True) | Q(assignee_role=""), name="maintenance_task_one_assignee"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from apps.maintenance import schedule  # schedule reads tasks; imported late to avoid a cycle

        errors: dict[str, str] = {}
        if self.cadence == Cadence.CUSTOM:
            if problem := schedule.rule_problem(self.rrule):
                errors["rrule"] = problem
        elif self.rrule.strip():
            errors["rrule"] = "a rule is only used with the cadence “Custom rule”; clear it or pick that cadence"
        if self.assignee_id and self.assignee_role:
            errors["assignee_role"] = "assign the task to a member or to a role, not both"
        if problem := checklist_problem(self.checklist):
            errors["checklist"] = problem
        if errors:
            raise ValidationError(errors)

    @property
    def checklist_items(self) -> list[str]:
        return [str(item) for item in self.checklist] if isinstance(self.checklist, list) else []


CHECKLIST_ITEM_LIMIT = 200  # characters


def checklist_problem(value: object) -> str | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return "a checklist is a list of items, one per line"
    if len(value) > CHECKLIST_LIMIT:
        return f"at most {CHECKLIST_LIMIT} checklist items"
    if any(len(item) > CHECKLIST_ITEM_LIMIT for item in value):
        return f"each checklist item at most {CHECKLIST_ITEM_LIMIT} characters"
    if any(not item.strip() for item in value):
        return "a checklist item cannot be empty"
    return None


class Occurrence(models.Model):
    """What happened to one due day other than a completion: skipped, or snoozed to a later day."""

    class Action(models.TextChoices):
        SKIP = "skip", "Skipped"
        SNOOZE = "snooze", "Snoozed"

    task = models.ForeignKey(MaintenanceTask, on_delete=models.CASCADE, related_name="occurrences")
    due = models.DateField()
    action = models.CharField(max_length=8, choices=Action.choices)
    until = models.DateField(null=True, blank=True)  # snoozed to
    reason = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["task", "-due"]
        constraints = [models.UniqueConstraint(fields=["task", "due"], name="maintenance_occurrence_once")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.action} {self.due}"

    def clean(self) -> None:
        if self.action == self.Action.SNOOZE:
            if self.until is None:
                raise ValidationError({"until": "say until which day it is snoozed"})
            if self.until <= self.due:
                raise ValidationError({"until": "snooze to a day after the day it was due"})
        elif self.until is not None:
            raise ValidationError({"until": "only a snoozed occurrence has a new day"})


class Completion(models.Model):
    class Outcome(models.TextChoices):
        DONE = "done", "Done"
        PARTLY = "partly", "Partly done"
        PROBLEM = "problem", "Found a problem"

    task = models.ForeignKey(MaintenanceTask, on_delete=models.CASCADE, related_name="completions")
    due = models.DateField(null=True, blank=True)  # the due day it completes
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    completed = models.DateTimeField()
    minutes = models.PositiveIntegerField(null=True, blank=True, validators=rules.whole_between(0, 24 * 60))
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.DONE)
    notes = models.TextField(blank=True, validators=[MaxLengthValidator(DESCRIPTION_LIMIT)])
    checklist = models.JSONField(default=list, blank=True)  # [{"item": "...", "done": true}]
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed", "-id"]
        indexes = [models.Index(fields=["task", "-completed"], name="maintenance_completion_list")]

    def __str__(self) -> str:
        return f"{self.task_id} on {self.completed:%Y-%m-%d}"


class CompletionFile(models.Model):
    """A screenshot or a log kept with a completion (the proof); served only to the owner."""

    completion = models.ForeignKey(Completion, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="maintenance/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class AuditItem(models.Model):
    """One checked item of a quarterly audit (a completion of an audit task)."""

    class Section(models.TextChoices):
        RESTORE = "restore", "Backup-restore exercise"
        OFFSITE = "offsite", "Off-site backup current"
        SECURITY = "security", "Security perimeter"
        BILLS = "bills", "Bill audit"

    class Result(models.TextChoices):
        PASS = "pass", "Pass"
        FAIL = "fail", "Fail"
        NA = "na", "Not applicable"

    completion = models.ForeignKey(Completion, on_delete=models.CASCADE, related_name="audit_items")
    section = models.CharField(max_length=16, choices=Section.choices)
    item = models.CharField(max_length=200)  # "Which snapshot", "Open ports reviewed"
    result = models.CharField(max_length=8, choices=Result.choices)
    notes = models.TextField(blank=True, validators=[MaxLengthValidator(4000)])
    details = models.JSONField(default=dict, blank=True)  # restore: snapshot, restored_to, verified, minutes
    resolved = models.DateTimeField(null=True, blank=True)  # a failed item stays on the dashboard until then
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["completion", "section", "id"]
        indexes = [
            # The owner's dashboard: failed items not resolved yet.
            models.Index(fields=["result"], condition=Q(result="fail", resolved=None), name="maintenance_audit_open")
        ]

    def __str__(self) -> str:
        return f"{self.section}: {self.item} ({self.result})"


class Reminder(models.Model):
    """A reminder that was sent: the unique constraint makes "never twice" hold with two
    workers (the second insert fails and that worker sends nothing)."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "Due soon"
        OVERDUE = "overdue", "Overdue"
        DIGEST = "digest", "Weekly digest"

    task = models.ForeignKey(MaintenanceTask, null=True, on_delete=models.CASCADE, related_name="reminders")
    due = models.DateField()  # the due day (for a digest: the Monday of its week)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["task", "due", "kind", "member"],
                nulls_distinct=False,
                name="maintenance_reminder_once",
            ),
            # Django leaves the constraint above out where nulls_distinct is not supported
            # (SQLite, Postgres before 15): these two hold "once" on every database, the first
            # for a task's reminders, the second for the weekly digest (no task).
            models.UniqueConstraint(
                fields=["task", "due", "kind", "member"],
                condition=Q(task__isnull=False),
                name="maintenance_reminder_task_once",
            ),
            models.UniqueConstraint(
                fields=["due", "kind", "member"], condition=Q(task=None), name="maintenance_reminder_digest_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.due} for {self.member_id}"


class CalendarFeed(models.Model):
    """A member's secret iCalendar address; regenerating replaces the token, revoking deletes it."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"calendar of {self.member_id}"


# --- Model-update trials -------------------------------------------------------------------


class PromptSet(models.Model):
    """The household's own questions for one alias, to try a candidate model on."""

    alias = models.CharField(max_length=64, validators=[rules.address_name])
    name = models.CharField(max_length=100)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["alias", "name"]
        constraints = [models.UniqueConstraint(fields=["alias", "name"], name="maintenance_promptset_name")]

    def __str__(self) -> str:
        return self.name


class Prompt(models.Model):
    prompt_set = models.ForeignKey(PromptSet, on_delete=models.CASCADE, related_name="prompts")
    text = models.TextField(validators=[MaxLengthValidator(16_000)])
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["prompt_set", "order", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class Trial(models.Model):
    """The alias's model today (a backend and model) against a candidate, one after the other."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        VOTING = "voting", "Ready for your votes"
        DONE = "done", "Decided"
        FAILED = "failed", "Failed"

    class Verdict(models.TextChoices):
        FORWARD = "forward", "Roll forward to the candidate"
        STAY = "stay", "Stay with today's model"
        BACK = "back", "Roll back"

    prompt_set = models.ForeignKey(PromptSet, on_delete=models.PROTECT, related_name="trials")
    alias = models.CharField(max_length=64)
    current_backend = models.CharField(max_length=64)
    current_model = models.CharField(max_length=200)
    candidate_backend = models.CharField(max_length=64)
    candidate_model = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveIntegerField(default=0)  # answers done, out of 2 x prompts
    error = models.CharField(max_length=300, blank=True)
    seed = models.PositiveIntegerField(default=0)  # shuffles left and right per prompt (blind votes)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, blank=True)
    completion = models.ForeignKey(Completion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.alias}: {self.current_model} against {self.candidate_model}"


class TrialAnswer(models.Model):
    class Side(models.TextChoices):
        CURRENT = "current", "Today's model"
        CANDIDATE = "candidate", "Candidate"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="answers")
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="+")
    side = models.CharField(max_length=16, choices=Side.choices)
    text = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)  # in words; the prompt fails, not the trial
    first_token_ms = models.PositiveIntegerField(null=True, blank=True)
    tokens_per_second = models.FloatField(null=True, blank=True)
    tokens = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trial", "prompt", "side"], name="maintenance_answer_once")]

    def __str__(self) -> str:
        return f"{self.trial_id} {self.side} {self.prompt_id}"


class Vote(models.Model):
    class Choice(models.TextChoices):
        A = "a", "A is better"
        B = "b", "B is better"
        TIE = "tie", "A tie"
        BAD = "bad", "Both bad"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="votes")
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(max_length=8, choices=Choice.choices)
    left_side = models.CharField(max_length=16, choices=TrialAnswer.Side.choices)  # what A was
    note = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trial", "prompt"], name="maintenance_vote_once")]

    def __str__(self) -> str:
        return f"{self.trial_id} {self.prompt_id}: {self.choice}"


class RouteChange(models.Model):
    """A roll forward or back of an alias's targets, recorded so it can be undone."""

    trial = models.ForeignKey(Trial, null=True, blank=True, on_delete=models.SET_NULL, related_name="route_changes")
    alias = models.CharField(max_length=64)
    before = models.JSONField()  # [{"backend": "studio", "model": "llama3.1:8b"}, ...] in order
    after = models.JSONField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    undone = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.alias} at {self.at}"
