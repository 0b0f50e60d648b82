"""Alert channels and what was sent through them.

A channel names the environment variable that holds its secret URL (`url_env`); the secret
itself is never stored here, so it never reaches a page, the config export or the log.
Delivery keeps one row per attempt, as Healthchecks' Notification does.
"""

from __future__ import annotations

from datetime import datetime, time

from django.db import models
from django.utils import timezone


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


# Kinds that are not subscriptions: reminders follow "down"; digests and tests always go.
REMINDER, DIGEST, TEST = "reminder", "digest", "test"


def all_events() -> list[str]:
    return list(EventKind.values)


class Channel(models.Model):
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    url_env = models.CharField(
        "URL environment variable",
        max_length=100,
        blank=True,
        help_text="The NAME of the environment variable that holds the webhook URL or topic URL, "
        "e.g. HOMEOPS_DISCORD_URL. The URL itself is never stored here.",
    )
    target = models.EmailField(blank=True, help_text="Email only: the address that receives alerts.")
    events = models.JSONField(default=all_events, blank=True)
    quiet_from = models.TimeField(null=True, blank=True, help_text="Local time. Non-critical alerts wait until...")
    quiet_until = models.TimeField(null=True, blank=True, help_text="...this local time, then arrive as one message.")
    reminder_minutes = models.PositiveIntegerField(
        default=0, help_text="Remind every so many minutes while something stays down. 0: no reminders."
    )
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        if kind in (DIGEST, TEST):
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
