"""Alert channels and what was sent through them.

A channel names the environment variable that holds its secret URL (`url_env`); the secret
itself is never stored here, so it never reaches a page, the config export or the log.
Delivery keeps one row per attempt, as Healthchecks' Notification does.

Channel is the one definition of a channel: its fields and clean() hold every rule, and both
the Settings form (a ModelForm) and the `channels` section of the config file judge by them.
"""

from __future__ import annotations

import os
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from apps.core import rules


class ChannelKind(models.TextChoices):
    DISCORD = "discord", "Discord webhook"
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook (JSON)"
    NTFY = "ntfy", "ntfy topic"
    APPRISE = "apprise", "Apprise URL"


class EventKind(models.TextChoices):
    """What a channel may subscribe to (Channel.events)."""

    DOWN = "down", "Something is down"
    RECOVERED = "recovered", "It is back"
    DEGRADED = "degraded", "Slow or partly working"
    HEARTBEAT_LATE = "heartbeat_late", "A backup or job is late"
    # The ledger's creep alerts (apps/ledger/creep.py) carry the household's cost figures, which
    # only the owner sees on the pages: a channel hears them only when the owner ticks them.
    COST = "cost", "Costs crept up (the ledger's figures: the owner's only)"


# Kinds that are not subscriptions: reminders follow "down"; digests, tests, the end of a
# handover's summary (apps/handover) and maintenance reminders (apps/maintenance/reminders.py,
# each sent once) always go.
REMINDER, DIGEST, TEST, SUMMARY, MAINTENANCE = "reminder", "digest", "test", "summary", "maintenance"
COST: str = EventKind.COST.value
OPT_IN = {EventKind.COST}


def all_events() -> list[str]:
    """A channel's events unless it says otherwise (the model's default, the form's first
    ticks, the config file's): every outage kind, not the opt-in ones (OPT_IN)."""
    return [event for event in EventKind.values if event not in OPT_IN]


# Kinds that post to a URL held in the environment; email sends to `target` instead.
NEEDS_URL = {ChannelKind.DISCORD, ChannelKind.WEBHOOK, ChannelKind.NTFY, ChannelKind.APPRISE}
REMINDER_MINUTES_MAX = 7 * 24 * 60
# What a member sets, on the Settings page and in the config file; the rest is the portal's.
CHANNEL_FIELDS = [
    "name",
    "kind",
    "url_env",
    "target",
    "events",
    "quiet_from",
    "quiet_until",
    "reminder_minutes",
    "enabled",
]


def validate_url_env(value: str) -> None:
    """The name of the variable holding the URL, never the URL itself."""
    if value and (problem := rules.env_name_problem(value, "URL")):
        raise ValidationError(problem, code="env_name")


def validate_events(value: Any) -> None:
    known = ", ".join(EventKind.values)
    if not isinstance(value, list):
        raise ValidationError(f"must be a list among {known}", code="events")
    unknown = [event for event in value if event not in EventKind.values]
    if unknown:
        raise ValidationError(f"must be among {known} (not {', '.join(map(repr, unknown))})", code="events")


CLOCK_WORDS = "Write a time of day, like 22:00."


class Channel(models.Model):
    name = models.CharField(
        max_length=100,
        unique=True,
        error_messages={
            "blank": "Give the channel a name, like Family Discord.",
            "unique": "Another channel already has this name: choose another, or edit that one.",
        },
    )
    kind = models.CharField(
        max_length=16,
        choices=ChannelKind.choices,
        error_messages={"invalid_choice": f"must be one of {', '.join(ChannelKind.values)} (got %(value)r)"},
    )
    url_env = models.CharField(
        "URL environment variable",
        max_length=100,
        blank=True,
        validators=[validate_url_env],
        help_text="The NAME of the environment variable that holds the webhook URL or topic URL, "
        "e.g. HOMEOPS_DISCORD_URL. The URL itself is never stored here.",
    )
    target = models.EmailField(
        blank=True,
        help_text="Email only: the address that receives alerts.",
        error_messages={"invalid": "Write an email address, like alerts@example.com."},
    )
    events = models.JSONField(default=all_events, blank=True, validators=[validate_events])
    quiet_from = models.TimeField(
        null=True,
        blank=True,
        help_text="Local time. Non-critical alerts wait until...",
        error_messages={"invalid": CLOCK_WORDS, "invalid_time": CLOCK_WORDS},
    )
    quiet_until = models.TimeField(
        null=True,
        blank=True,
        help_text="...this local time, then arrive as one message.",
        error_messages={"invalid": CLOCK_WORDS, "invalid_time": CLOCK_WORDS},
    )
    reminder_minutes = models.PositiveIntegerField(
        default=0,
        error_messages=rules.number_words("Write how many minutes between reminders, like 60, or 0 for none."),
        validators=rules.between(0, REMINDER_MINUTES_MAX, "minutes"),
        help_text="Remind every so many minutes while something stays down. 0: no reminders.",
    )
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """What each kind needs, and quiet hours with both ends or none."""
        errors: dict[str, str] = {}
        if self.kind in NEEDS_URL:
            if not self.url_env:
                errors["url_env"] = "Name the environment variable that holds the URL, e.g. HOMEOPS_DISCORD_URL."
            if self.target:
                errors["target"] = "Only email channels send to an address; leave this empty."
        elif self.kind == ChannelKind.EMAIL:
            if not self.target:
                errors["target"] = "Give the address that receives alerts."
            if self.url_env:
                errors["url_env"] = "Email channels send to an address, not to a URL; leave this empty."
        if (self.quiet_from is None) != (self.quiet_until is None):
            missing = "quiet_from" if self.quiet_from is None else "quiet_until"
            errors[missing] = "Give both ends of the quiet hours, or neither."
        if isinstance(self.events, list):  # in the order of EventKind, each once
            self.events = [event for event in EventKind.values if event in self.events]
        if errors:
            raise ValidationError(errors)

    def setup_problems(self) -> dict[str, str]:
        """What this machine lacks to deliver through the channel now (not a rule of the channel:
        a configuration file may name a variable before it is set). The Settings form asks."""
        if self.kind in NEEDS_URL and self.url_env and not os.environ.get(self.url_env, "").strip():
            return {
                "url_env": f"The environment variable {self.url_env} is not set. Add it to the environment file "
                "(/etc/homeops/homeops.env) and restart HomeOps (web and worker), then save again."
            }
        if self.kind == ChannelKind.EMAIL and not settings.EMAIL_CONFIGURED:
            return {"kind": "Email is not set up: set EMAIL_HOST (and its user and password) in the environment first."}
        return {}

    def wants(self, kind: str) -> bool:
        if kind in (DIGEST, TEST, SUMMARY, MAINTENANCE):
            return True
        if kind == REMINDER:
            kind = EventKind.DOWN
        return kind in (self.events or [])

    def in_quiet_hours(self, now: datetime) -> bool:
        """Quiet hours may wrap midnight (22:00-07:00); equal ends mean none."""
        start, end = self.quiet_from, self.quiet_until
        if start is None or end is None or start == end:
            return False
        moment: time = timezone.localtime(now).time()
        if start < end:
            return start <= moment < end
        return moment >= start or moment < end

    @property
    def event_labels(self) -> list[str]:
        return [label for value, label in EventKind.choices if value in (self.events or [])]


class Delivery(models.Model):
    """One attempt to send one event through one channel."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    service = models.ForeignKey("status.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20)
    summary = models.CharField(max_length=500)
    created = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-created", "-pk"]
        # The channels page reads each channel's latest attempt.
        indexes = [models.Index(fields=["channel", "-created"])]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.kind} {'ok' if self.ok else 'failed'}"


class HeldAlert(models.Model):
    """A non-critical alert that arrived during a channel's quiet hours; sent as one digest after."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="held")
    created = models.DateTimeField()
    kind = models.CharField(max_length=20)
    text = models.CharField(max_length=1000)

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.text[:40]}"


class ReminderMark(models.Model):
    """When a channel last reminded about a service being down; claimed with a conditional UPDATE."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("status.Service", on_delete=models.CASCADE, related_name="+")
    last_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "service"], name="reminder_mark_once")]

    def __str__(self) -> str:
        return f"{self.channel_id}/{self.service_id} @ {self.last_at:%H:%M}"
