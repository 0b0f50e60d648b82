"""The vacation handover: whom to call, what to follow and what to check while the owner is
away, for the friend looking after the house (a member with the caretaker role).

These models are the one definition of a contact and a handover: field validators and clean()
hold every rule, which the Settings forms (thin ModelForms), the `contacts` and `handovers`
sections of the configuration file and the services all apply. Rules that need the handover's
many-to-many caretakers (saved after the row) are `caretaker_problems`, asked by the same three.

Markdown (the welcome note, what to check) is rendered once, when it is saved, by the project's
one renderer (apps/core/markdown.py) and kept as HTML beside its source: Python-Markdown is
quadratic on some hostile inputs, so a page view never renders it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from apps.accounts.roles import Role, role_in_groups
from apps.core import rules

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Markdown is rendered on save; 4,000 characters (a long page) render in milliseconds, and
# the worst hostile input of that length (4,000 "[") in about 3 s (docs/architecture.md).
MARKDOWN_LIMIT = 4_000
NOTE_LIMIT = 2_000

# A phone number as people write it: digits, an optional leading +, and the spaces, dots,
# dashes, slashes and brackets that group them. The tel: link keeps the + and the digits only.
PHONE = re.compile(r"\A\+?[0-9 ()./-]+\Z")
PHONE_WORDS = "a phone number: digits, an optional + in front, and spaces, dashes, dots or brackets between them"


def validate_phone(value: str) -> None:
    digits = sum(c.isdigit() for c in value)
    if value and (not PHONE.match(value) or not 3 <= digits <= 17):
        raise ValidationError(f"Write {PHONE_WORDS}, like +49 30 1234567.", code="phone")


def tel_href(phone: str) -> str:
    """`tel:+493012345` for a valid number, "" otherwise (nothing else reaches an href)."""
    try:
        validate_phone(phone)
    except ValidationError:
        return ""
    if not phone:
        return ""
    return "tel:" + ("+" if phone.startswith("+") else "") + "".join(c for c in phone if c.isdigit())


def mailto_href(email: str) -> str:
    """`mailto:` and the address, percent-encoded but for its plain characters; "" when it is
    not an address (the field's EmailValidator is the rule)."""
    from django.core.validators import validate_email

    try:
        validate_email(email)
    except ValidationError:
        return ""
    return "mailto:" + quote(email, safe="@.+-_")


def when(moment: datetime) -> str:
    """ "Sunday 20 December, 09:00" in the household's zone."""
    return date_format(timezone.localtime(moment), "l j F, H:i")


class Contact(models.Model):
    """Someone to call: the ISP, the electrician, the neighbour with a key, the owner."""

    name = models.CharField(max_length=100, error_messages={"blank": "Give the contact a name, like “Mia”."})
    role = models.CharField(
        max_length=100,
        error_messages={"blank": "Say who they are for the house: ISP, electrician, neighbour with a key, owner."},
        help_text="Who they are for the house: ISP, electrician, neighbour with a key, owner.",
    )
    phone = models.CharField(max_length=30, blank=True, validators=[validate_phone], help_text="Like +49 30 1234567.")
    email = models.EmailField(blank=True)
    notes = models.TextField(
        blank=True,
        validators=[MaxLengthValidator(1000)],
        help_text="When to call them and what to say: “Has a key; away on weekends”.",
    )
    order = models.PositiveIntegerField(
        default=0, validators=rules.whole_between(0, 1000), help_text="Lower numbers are listed first."
    )

    class Meta:
        ordering = ["order", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"

    def clean(self) -> None:
        self.phone = self.phone.strip()
        if not self.phone and not self.email:
            raise ValidationError({"phone": "Give a phone number or an email address, or both."})

    @property
    def tel_href(self) -> str:
        return tel_href(self.phone)

    @property
    def mailto_href(self) -> str:
        return mailto_href(self.email)


class HandoverQuerySet(models.QuerySet):
    def active(self, now: datetime | None = None) -> HandoverQuerySet:
        now = now or timezone.now()
        return self.filter(starts__lte=now, ends__gt=now)

    def upcoming(self, now: datetime | None = None) -> HandoverQuerySet:
        return self.filter(starts__gt=now or timezone.now()).order_by("starts")


class Handover(models.Model):
    title = models.CharField(
        max_length=200, error_messages={"blank": "Give the handover a title, like “Christmas 2026”."}
    )
    starts = models.DateTimeField(help_text="The caretaker can sign in from this moment.")
    ends = models.DateTimeField(help_text="Their access ends at this moment, even in the middle of a visit.")
    caretakers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="handovers", help_text="Members with the caretaker role."
    )
    welcome = models.TextField(
        "Welcome note",
        blank=True,
        validators=[MaxLengthValidator(MARKDOWN_LIMIT)],
        help_text="Markdown. What the friend reads first: thanks, the house's quirks, where the keys are.",
    )
    checks = models.TextField(
        "What to check during the stay",
        blank=True,
        validators=[MaxLengthValidator(MARKDOWN_LIMIT)],
        help_text="Markdown. “Look at the status board on Sundays”, “water the plants”.",
    )
    # Rendered from welcome and checks by services.handover_save (the model's one renderer).
    welcome_html = models.TextField(blank=True, editable=False)
    checks_html = models.TextField(blank=True, editable=False)
    # Set once, by the task that sends the owner the summary (a conditional UPDATE claims it).
    summary_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = HandoverQuerySet.as_manager()

    class Meta:
        ordering = ["-starts", "id"]
        indexes = [
            # summaries_due: ended handovers whose summary has not gone out.
            models.Index(fields=["ends"], name="handover_summary_due", condition=Q(summary_sent_at=None)),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.starts and self.ends:
            if self.ends <= self.starts:
                raise ValidationError({"ends": "The handover must end after it starts."})
            overlapping = Handover.objects.filter(starts__lt=self.ends, ends__gt=self.starts).exclude(pk=self.pk)
            other = overlapping.order_by("starts").first()
            if other is not None:
                raise ValidationError(
                    {
                        "starts": f"These dates overlap “{other.title}” ({when(other.starts)} to {when(other.ends)}): "
                        "one handover at a time. Change the dates of one of them."
                    }
                )

    @staticmethod
    def caretaker_problems(users: Iterable[User]) -> list[str]:
        """Everyone chosen must have the caretaker role; the words name who does not."""
        wrong = [u.get_username() for u in users if role_in_groups(u) != Role.CARETAKER]
        if not wrong:
            return []
        return [
            f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not a caretaker: only members with the "
            "caretaker role can be chosen (change the role under Settings → Members)."
        ]

    def state(self, now: datetime | None = None) -> str:
        """'upcoming', 'active' or 'ended'."""
        now = now or timezone.now()
        if now < self.starts:
            return "upcoming"
        return "active" if now < self.ends else "ended"


class HandoverRunbook(models.Model):
    """A key runbook of the handover, in the order the friend should know them."""

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="key_runbooks")
    runbook = models.ForeignKey("runbooks.Runbook", on_delete=models.CASCADE, related_name="+")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["handover", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["handover", "runbook"], name="handover_runbook_once")]

    def __str__(self) -> str:
        return f"{self.handover_id}: {self.runbook_id}"


class IfThen(models.Model):
    """A row of the "if this happens, do that" table."""

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="if_then")
    when = models.CharField(
        "If this happens", max_length=300, error_messages={"blank": "Say what happens, like “The power goes out”."}
    )
    do = models.TextField(
        "Do that",
        validators=[MaxLengthValidator(NOTE_LIMIT)],
        error_messages={"blank": "Say what to do, like “Wait ten minutes, then follow the runbook”."},
    )
    runbook = models.ForeignKey("runbooks.Runbook", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["handover", "order", "id"]

    def __str__(self) -> str:
        return self.when


class HandoverNote(models.Model):
    """A line the caretaker (or the owner) adds to the handover's log: “Fed the cat, NAS fine”."""

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(
        validators=[MaxLengthValidator(NOTE_LIMIT)],
        error_messages={"blank": "Write something first, like “Watered the plants; the NAS beeped once”."},
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.text[:50]


class AccessLog(models.Model):
    """A caretaker's sign-in or page view, for the owner to read. Bounded: services.access_prune
    keeps ACCESS_LOG_DAYS and at most ACCESS_LOG_ROWS rows."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "Signed in"
        PAGE = "page", "Opened a page"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(max_length=300, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        # The owner's page reads the newest rows; the pruning deletes the oldest.
        indexes = [models.Index(fields=["-at"], name="handover_access_newest")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.path}"
