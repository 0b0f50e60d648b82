"""Hosts, services and what the poller learns about them.

State changes are rows (Flip), as in Healthchecks: alerts, downtime figures and history
all read the same table. Raw results are short-lived and packed by the hour; rollups keep
history bounded, one row per service-day.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models

from apps.core import config, rules
from apps.core.links import validate_link

# Addresses that a service's name would shadow (/status/new/).
RESERVED_NAMES = {"new"}


def validate_not_reserved(name: str) -> None:
    if name in RESERVED_NAMES:
        raise ValidationError("That name is reserved; pick another.", code="reserved")


# A secret itself pasted where its pointer belongs: a private key block, or one long word that
# reads like a token or a generated password. A pointer is words: "vault Home, item DSM".
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_WORD = re.compile(r"[^\s/?#&=:,;'\"()]{24,}")  # a URL's parts are judged one by one
_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")  # an item's id, not a secret


def _token_like(word: str) -> bool:
    """Upper case, lower case and digits in 24 characters or more (a password manager's
    password, a GitHub token), or letters and digits only in 32 or more (hex and base64 keys)."""
    classes = [any(test(c) for c in word) for test in (str.islower, str.isupper, str.isdigit)]
    if all(classes):
        return True
    return len(word) >= 32 and classes[2] and re.fullmatch(r"[A-Za-z0-9_\-+/=]+", word) is not None


def validate_pointer(value: str) -> None:
    words = [word for word in _WORD.findall(value) if not _UUID.fullmatch(word)]
    if _PRIVATE_KEY.search(value) or any(_token_like(word) for word in words):
        raise ValidationError(
            "This looks like a secret itself. Write where it is kept instead, like "
            "“password manager, vault Home, item DSM”.",
            code="secret_shaped",
        )


def pointer_field() -> models.CharField:
    """Where a host's or service's credentials are kept: one definition for both models."""
    return models.CharField(
        "Where its credentials are kept",
        max_length=200,
        blank=True,
        validators=[validate_pointer],
        help_text="Where to find the password or key, like “password manager, vault Home, item DSM”. "
        "Never the secret itself: runbooks, the handover page and the printed binder show this.",
    )


class State(models.TextChoices):
    UP = "up", "Up"
    DEGRADED = "degraded", "Degraded"
    DOWN = "down", "Down"
    UNREACHABLE = "unreachable", "Unreachable"
    PAUSED = "paused", "Paused"
    UNKNOWN = "unknown", "Unknown"


class Kind(models.TextChoices):
    HTTP = "http", "HTTP(S)"
    TCP = "tcp", "TCP connect"
    HEARTBEAT = "heartbeat", "Heartbeat (push)"
    OPENAI = "openai", "OpenAI-compatible model server"
    OLLAMA = "ollama", "Ollama"
    NUT = "nut", "UPS (NUT)"
    SYNOLOGY = "synology", "Synology NAS (DSM)"
    METRIC = "metric", "Metric (Prometheus or JSON)"


class Criticality(models.TextChoices):
    CRITICAL = "critical", "Critical"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


class Host(models.Model):
    class HostKind(models.TextChoices):
        MAC = "mac", "Mac"
        NAS = "nas", "NAS"
        UPS = "ups", "UPS"
        ROUTER = "router", "Router"
        OTHER = "other", "Other"

    name = models.CharField(
        max_length=100,
        unique=True,
        error_messages={
            "blank": "Give the machine a name, like NAS or Studio.",
            "unique": "Another machine already has this name: choose another, or edit that one.",
        },
    )
    address = models.CharField(max_length=255, blank=True, help_text="Hostname or IP on the home network.")
    kind = models.CharField(
        max_length=16,
        choices=HostKind.choices,
        default=HostKind.OTHER,
        error_messages={"invalid_choice": "Choose what kind of machine it is: mac, nas, ups, router or other."},
    )
    location = models.CharField(max_length=100, blank=True)
    description = models.TextField(
        blank=True, validators=[MaxLengthValidator(2000)], help_text="What this machine is, in words the family knows."
    )
    credentials_pointer = pointer_field()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    host = models.ForeignKey(
        Host,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="services",
        error_messages={"invalid": "That machine is not listed any more: choose another, or none."},
    )
    name = models.CharField(
        max_length=100,
        unique=True,
        validators=[rules.address_name, validate_not_reserved],
        error_messages={
            "blank": "Give it a short name for addresses, like nas-photos.",
            "unique": "Another check already has this name: choose another, or edit that one.",
        },
    )
    label = models.CharField(
        max_length=100,
        help_text='What the family calls it: "Chat assistant".',
        error_messages={"blank": "Write what the family calls it, like “Photos on the NAS”."},
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Check settings per kind (url, expect_status, keyword, host, port, ...), judged by the
    # kind's rules in clean(); see kinds/.
    check_config = models.JSONField(default=dict, blank=True)
    interval = models.PositiveIntegerField(
        default=60,
        validators=rules.between(5, 86400, "seconds"),
        error_messages=rules.number_words("Write how many seconds between checks, from 5 to 86400, like 60."),
        help_text="Seconds between checks.",
    )
    timeout = models.FloatField(
        default=10.0,
        validators=rules.between(0.5, 120, "seconds"),
        error_messages=rules.number_words("Write how many seconds a check may take, from 0.5 to 120, like 10."),
        help_text="Seconds before a check gives up.",
    )
    retries = models.PositiveSmallIntegerField(
        default=1,
        validators=rules.between(0, 10),
        error_messages=rules.number_words("Write how many failed checks in a row to let pass, from 0 to 10, like 1."),
        help_text="Failed checks tolerated before DOWN.",
    )
    depends_on = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="dependents",
        error_messages={"invalid": "A check ticked here is not listed any more: untick it."},
    )
    criticality = models.CharField(
        max_length=16,
        choices=Criticality.choices,
        default=Criticality.NORMAL,
        error_messages={"invalid_choice": "Choose how much it matters from the list."},
    )
    queue = models.CharField(
        max_length=64,
        default="celery",
        help_text="Celery queue of a worker that can reach it.",
        error_messages={"blank": "Write the queue of a worker that can reach it; celery is the usual one."},
    )
    enabled = models.BooleanField(default=True, help_text="Off: paused, not checked.")
    muted_until = models.DateTimeField(null=True, blank=True, help_text="Checked, but no alerts until then.")
    what_to_do = models.TextField(
        blank=True,
        validators=[MaxLengthValidator(4000)],
        help_text="What this means and what to do, for whoever reads it.",
    )
    runbook_url = models.CharField(max_length=255, blank=True, validators=[validate_link])
    credentials_pointer = pointer_field()

    # Heartbeat (push) services.
    ping_uuid = models.UUIDField(null=True, blank=True, unique=True)
    period = models.PositiveIntegerField(
        default=86400,
        validators=rules.between(60, 366 * 86400, "seconds"),
        error_messages=rules.number_words(
            "Write how many seconds between expected pings, like 86400 for a nightly job."
        ),
        help_text="Heartbeat: seconds between expected pings.",
    )
    grace = models.PositiveIntegerField(
        default=3600,
        validators=rules.between(60, 31 * 86400, "seconds"),
        error_messages=rules.number_words("Write how many seconds late a run may be, like 3600 for an hour."),
        help_text="Heartbeat: extra seconds before DOWN.",
    )
    min_duration = models.PositiveIntegerField(
        default=0,
        validators=rules.between(0, 7 * 86400, "seconds"),
        error_messages=rules.number_words("Write the shortest normal run in seconds, like 60, or leave it empty."),
        help_text="Heartbeat: a run shorter than this many seconds (start to finish) counts as failed.",
    )
    last_ping_at = models.DateTimeField(null=True, blank=True)
    last_start_at = models.DateTimeField(null=True, blank=True)
    last_ping_kind = models.CharField(max_length=16, blank=True)  # success, fail, start, exit code
    last_ping_body = models.TextField(blank=True)
    # The rate limit (services.PINGS_PER_MINUTE), counted in the row by the ping's own UPDATE:
    # the calendar minute being counted and how many pings it has had.
    ping_minute = models.DateTimeField(null=True, blank=True)
    ping_minute_count = models.PositiveSmallIntegerField(default=0)

    # What the poller knows.
    state = models.CharField(max_length=16, choices=State.choices, default=State.UNKNOWN)
    state_since = models.DateTimeField(null=True, blank=True)
    fail_count = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    version = models.CharField(max_length=100, blank=True)
    version_since = models.DateTimeField(null=True, blank=True)
    # The last check's numbers (battery charge and runtime, load, volumes, a metric's value),
    # from Outcome.data; engine.record() replaces it on every check.
    details = models.JSONField(default=dict, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["host__name", "label"]
        indexes = [
            # run_due_checks: enabled polled services of one queue whose time has come.
            models.Index(fields=["queue", "next_check_at"], name="service_due", condition=models.Q(enabled=True)),
        ]

    def __str__(self) -> str:
        return self.label or self.name

    @property
    def is_heartbeat(self) -> bool:
        return self.kind == Kind.HEARTBEAT

    def check_problems(self) -> list[tuple[config.Path, str]]:
        """The check's settings judged by its kind (kinds/): (where in the check, problem) pairs."""
        from apps.status import kinds  # the kinds import this module for State and Kind

        return kinds.check_problems(self.kind, self.check_config)

    def clean(self) -> None:
        problems = self.check_problems()
        if problems:
            messages = [f"{config.format_path(('check', *where))}: {problem}" for where, problem in problems]
            raise ValidationError({"check_config": messages})


class Result(models.Model):
    """One raw check outcome, as the polling round writes it. Every hour rollups.py moves the
    complete hours into ResultHour, so this table holds about the last hour: no index to keep
    up on the round's insert, and every read scans it by time anyway."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="results", db_index=False)
    at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=State.choices)
    latency_ms = models.FloatField(null=True, blank=True)
    message = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.service_id} {self.outcome} @ {self.at:%Y-%m-%d %H:%M:%S}"


class ResultHour(models.Model):
    """One service's raw results of one UTC hour, packed (packing.py); kept STATUS_RAW_HOURS.
    The sparklines, the service page and the hourly figures read them."""

    # result_hour_once's index serves the foreign key too.
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="result_hours", db_index=False)
    hour = models.DateTimeField()
    checks = models.BinaryField()
    messages = models.TextField()  # JSON list of the hour's distinct messages

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "hour"], name="result_hour_once")]

    def __str__(self) -> str:
        return f"{self.service_id} {self.hour:%Y-%m-%d %H:00}"


class Flip(models.Model):
    """A state change. `cause` names the service whose failure made this one unreachable.
    `processed` is set by the notifier when it has dealt with the flip."""

    # The (service, -created) index serves the foreign key too.
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="flips", db_index=False)
    created = models.DateTimeField()
    old = models.CharField(max_length=16, choices=State.choices)
    new = models.CharField(max_length=16, choices=State.choices)
    reason = models.CharField(max_length=300, blank=True)
    cause = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    processed = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["service", "-created"]),
            # The notifier's queue: flips nobody has dealt with yet.
            models.Index(fields=["created"], name="flip_unprocessed", condition=models.Q(processed=None)),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}: {self.old} -> {self.new}"


class Rollup(models.Model):
    """One service's day, from local midnight (TIME_ZONE): the day's figures, kept forever, and
    its hourly figures packed in `hours` (packing.py), kept STATUS_HOURLY_DAYS, then emptied.
    One row a day instead of 24 hourly rows and a daily one (bench/README.md, section 3)."""

    # rollup_once's index serves the foreign key too.
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="rollups", db_index=False)
    start = models.DateTimeField()  # local midnight, stored UTC; packing.slot_hour places the hours
    up = models.PositiveIntegerField(default=0)
    degraded = models.PositiveIntegerField(default=0)
    down = models.PositiveIntegerField(default=0)
    p50_ms = models.FloatField(null=True)
    p95_ms = models.FloatField(null=True)
    max_ms = models.FloatField(null=True)
    hours = models.BinaryField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "start"], name="rollup_once")]

    def __str__(self) -> str:
        return f"{self.service_id} day {self.start:%Y-%m-%d %H:%M}"
