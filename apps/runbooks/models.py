"""Runbooks a friend can follow: the one definition of a runbook, its append-only revisions,
its run-throughs and its attachments.

A runbook's body is Markdown; its task-list items (`- [ ] step`) are the steps a run-through
ticks. Every save is a Revision (a per-runbook number, as Healthchecks numbers a check's
pings); a run is pinned to the revision it started from, so a later edit never moves the
steps under a friend's finger.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone

from apps.accounts.roles import Role
from apps.core import rules

BODY_LIMIT = 100_000  # characters: a runbook is a page or two, not a manual
TAGS_LIMIT = 12
TAG_LENGTH = 30
TAG = re.compile(r"[a-z0-9][a-z0-9_-]*")
# Addresses under /runbooks/ that are pages of their own, not runbooks (apps/runbooks/urls.py).
RESERVED_SLUGS = frozenset({"new", "preview"})


class Audience(models.TextChoices):
    """Who may read a runbook. Only the owner edits (the role matrix)."""

    OWNER = "owner", "Owner only"
    HOUSEHOLD = "household", "Household (owner and family)"
    CARETAKER = "caretaker", "Everyone, the caretaker too"

    @classmethod
    def readable_by(cls, role: str | None) -> list[str]:
        """The audiences a role reads: the one place that says so (queries, attachments, search)."""
        return {
            Role.OWNER: [cls.OWNER, cls.HOUSEHOLD, cls.CARETAKER],
            Role.FAMILY: [cls.HOUSEHOLD, cls.CARETAKER],
            Role.CARETAKER: [cls.CARETAKER],
        }.get(role, [])  # type: ignore[call-overload]  # role is a Role value or None


class RunbookQuerySet(models.QuerySet):
    def readable_by(self, role: str | None) -> RunbookQuerySet:
        return self.filter(audience__in=Audience.readable_by(role))


class Runbook(models.Model):
    title = models.CharField(
        max_length=200, error_messages={"blank": "Give the runbook a title, like “Restart Ollama”."}
    )
    slug = models.SlugField(
        max_length=100,
        unique=True,
        validators=[rules.address_name],
        help_text="Its address: /runbooks/<slug>/. Letters, digits, - and _ only.",
        error_messages={"unique": "Another runbook already has this address."},
    )
    body = models.TextField(blank=True, validators=[MaxLengthValidator(BODY_LIMIT)])
    tags = models.JSONField(default=list, blank=True, help_text="Words to group and find it by: “nas”, “power”.")
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.HOUSEHOLD)
    hosts = models.ManyToManyField("status.Host", blank=True, related_name="runbooks")
    services = models.ManyToManyField("status.Service", blank=True, related_name="runbooks")
    review_days = models.PositiveIntegerField(
        default=180,
        validators=rules.whole_between(7, 3650),
        help_text="Read it again (and try it) at least this often, in days.",
    )
    last_reviewed = models.DateTimeField(null=True, blank=True)
    last_exercised = models.DateTimeField(null=True, blank=True)  # the last run that worked
    # The owner kept a secret-shaped line after the warning: never printed in the binder.
    secret_override = models.BooleanField(default=False)
    revision = models.PositiveIntegerField(default=0)  # the newest Revision.number; 0 before the first save
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = RunbookQuerySet.as_manager()

    noun = "runbook"

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.slug in RESERVED_SLUGS:
            errors["slug"] = f"“{self.slug}” is a page of its own under /runbooks/; choose another address."
        if problem := tags_problem(self.tags):
            errors["tags"] = problem
        if errors:
            raise ValidationError(errors)

    # --- Stale: not reviewed and not exercised within review_days ------------------------

    @property
    def checked_at(self) -> datetime | None:
        """When someone last read it through or tried it: the later of the last review and the
        last run that worked; a runbook never looked at again counts from when it was written."""
        moments = [m for m in (self.last_reviewed, self.last_exercised) if m is not None]
        return max(moments) if moments else self.created

    def is_stale(self, now: datetime | None = None) -> bool:
        checked = self.checked_at
        return checked is not None and (now or timezone.now()) - checked > timedelta(days=self.review_days)

    def stale_reason(self, now: datetime | None = None) -> str:
        """Why it is flagged, in words ("" when it is not stale)."""
        now = now or timezone.now()
        if not self.is_stale(now):
            return ""
        days = (now - self.checked_at).days if self.checked_at else 0
        if self.last_reviewed is None and self.last_exercised is None:
            since = f"since it was written {days} days ago"
        else:
            since = f"for {days} days"
        return (
            f"Nobody has reviewed it or run through it {since}; it should be looked at every {self.review_days} days."
        )


def tags_problem(tags: object) -> str | None:
    """Why a list of tags is refused (None when it is fine): short lowercase words."""
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        return "must be a list of words"
    if len(tags) > TAGS_LIMIT:
        return f"at most {TAGS_LIMIT} tags"
    for tag in tags:
        if len(tag) > TAG_LENGTH or not TAG.fullmatch(tag):
            return (
                f"“{tag[:TAG_LENGTH]}” is not a tag: lowercase letters, digits, - and _, up to {TAG_LENGTH} characters"
            )
    if len(set(tags)) != len(tags):
        return "a tag appears twice"
    return None


class Revision(models.Model):
    """Append-only: one row per save, numbered per runbook from 1. Restoring an old revision
    makes a new one; nothing edits or deletes a revision but the runbook's own deletion."""

    class Source(models.TextChoices):
        PAGE = "page", "Edited on the page"
        IMPORT = "import", "Configuration file"
        RESTORE = "restore", "Restored"
        EXAMPLE = "example", "Example data"

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.PAGE)
    note = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["runbook", "-number"]
        constraints = [models.UniqueConstraint(fields=["runbook", "number"], name="runbooks_revision_number")]

    def __str__(self) -> str:
        return f"{self.runbook_id} r{self.number}"


class Run(models.Model):
    """A run-through: someone follows the runbook, ticking its steps, and says how it went."""

    class Outcome(models.TextChoices):
        WORKED = "worked", "It worked"
        PARTLY = "partly", "It partly worked"
        FAILED = "failed", "It did not work"

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="runs")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="runs")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    note = models.TextField(blank=True, validators=[MaxLengthValidator(4000)])

    class Meta:
        ordering = ["-started", "-id"]
        indexes = [models.Index(fields=["runbook", "-started"], name="runbooks_run_list")]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.runbook_id}"


class RunStep(models.Model):
    """One step of a run, as its revision's body had it (index: the nth task-list item)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveIntegerField()
    text = models.CharField(max_length=1000)
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, validators=[MaxLengthValidator(2000)])

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="runbooks_runstep_index")]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.index}"


class Attachment(models.Model):
    """A picture or file a runbook shows (a screenshot of the NAS panel). Stored under the data
    dir's media; served only to members who may read its runbook (never as a public URL)."""

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="runbooks/")
    name = models.CharField(max_length=200)  # as uploaded, shown and used in the body's links
    content_type = models.CharField(max_length=100)  # judged from the content, not the name
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["runbook", "name", "id"]

    def __str__(self) -> str:
        return self.name
