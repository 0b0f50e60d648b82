"""The household's models: where they run (Backend), what the family calls them (Route and
its ordered Targets), who may use what (Policy), keys for scripts (ApiKey) and a private
record of every request (AuditEntry, rolled up into UsageDay)."""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from apps.accounts.audience import ForRoleOrMember
from apps.core import rules

# Each field's errors say what to write. They are the model's, so the Settings form (through
# apps/core/forms.model_words) and the configuration file (config.model_errors) say the same.
ADDRESS_WORDS = (
    "Write the backend's whole address, starting with http:// or https://: "
    "like http://studio.home.arpa:11434 for Ollama, http://studio.home.arpa:8080/v1 for an OpenAI-compatible server."
)
KEY_ENV_WORDS = (
    "Write the name of the environment variable that holds the key, like HOMEOPS_STUDIO_KEY "
    "(letters, digits and _, not starting with a digit), or leave it empty."
)
TIMEOUT_WORDS = "Write how many seconds to wait for it, from 1 to 600, like 30."
MAX_TOKENS_WORDS = "Write the most tokens one answer may take: a whole number from 1 to 1,000,000, like 2048."
CONTEXT_WORDS = "Write the model's context window in tokens: a whole number from 256 to 10,000,000, like 8192."
DAILY_TOKENS_WORDS = (
    "Write how many tokens a day (questions and answers together): a whole number from 1 to 2,147,483,647, "
    "like 200000, or leave it empty for no limit."
)
STREAMS_WORDS = "Write how many answers may come at the same time, from 1 to 100, or leave it empty for no limit."
CLOCK_WORDS = "Write a time of day, like 22:00."
PRICE_WORDS = (
    "Write the price of a million tokens in the household's currency, like 0.15 (at most 4 decimals), "
    "or leave it empty for a backend that costs nothing to ask."
)


# A host name or IPv4 address: dot-separated labels (IPv6 addresses are checked by ipaddress).
HOST_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?")


def validate_base_url(value: str) -> None:
    # Not Django's URLValidator: home networks use bare host names (http://studio:11434).
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number up to 65535)
    except ValueError:
        raise ValidationError(ADDRESS_WORDS, code="base_url") from None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not (HOST_NAME.fullmatch(host) or _is_ip(host)):
        raise ValidationError(ADDRESS_WORDS, code="base_url")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def validate_key_env(value: str) -> None:
    if value and rules.env_name_problem(value, "key"):
        raise ValidationError(KEY_ENV_WORDS, code="env_name")


class Workload(models.TextChoices):
    CHAT = "chat", "Chat"
    EMBEDDINGS = "embeddings", "Embeddings"


class Endpoint(models.TextChoices):
    """What an audit row records: a /v1 call, the chat (in-process) or a settings change."""

    CHAT_COMPLETIONS = "chat.completions", "/v1/chat/completions"
    EMBEDDINGS = "embeddings", "/v1/embeddings"
    CHAT = "chat", "Chat"
    SETTINGS = "settings", "Settings"


class Backend(models.Model):
    class BackendKind(models.TextChoices):
        OPENAI = "openai", "OpenAI-compatible"
        OLLAMA = "ollama", "Ollama"

    name = models.CharField(
        max_length=64,
        unique=True,
        validators=[
            rules.address_name_saying(
                "Use letters, digits, - and _ only, like studio or studio-mlx (the name goes into addresses)."
            )
        ],
        error_messages={
            "blank": "Give the backend a short name, like studio.",
            "unique": "Another backend already has this name: choose another, or edit that one.",
        },
    )
    kind = models.CharField(
        max_length=16,
        choices=BackendKind.choices,
        default=BackendKind.OPENAI,
        error_messages={"invalid_choice": "Choose the kind of server: ollama, or openai (OpenAI-compatible)."},
    )
    base_url = models.CharField(
        max_length=255,
        validators=[validate_base_url],
        error_messages={"blank": ADDRESS_WORDS},
        help_text="OpenAI-compatible: the API root, e.g. http://studio.home.arpa:8080/v1. "
        "Ollama: the server, e.g. http://studio.home.arpa:11434.",
    )
    # Write-only: encrypted with a key derived from SECRET_KEY (secrets.py), never shown again.
    api_key_encrypted = models.TextField(blank=True, editable=False)
    api_key_env = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_key_env],
        help_text="Or the name of an environment variable holding the key.",
    )
    timeout = models.FloatField(
        default=30.0,
        validators=rules.between(1, 600, words=TIMEOUT_WORDS),
        error_messages=rules.number_words(TIMEOUT_WORDS),
        help_text="Seconds to connect and to wait for the first token.",
    )
    service = models.ForeignKey(
        "status.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The status-board service that watches it: a backend the board holds down is skipped.",
        error_messages={"invalid": "That service is not on the status board any more: choose another, or none."},
    )
    # A paid backend (a cloud fallback): the ledger turns its audited tokens into money each night
    # (apps/ledger/tokens.py). In the household's currency; empty means free.
    price_input_per_m = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0), "A price cannot be negative.")],
        help_text="Paid backends: the price of a million input (prompt) tokens, in the household's currency.",
    )
    price_output_per_m = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0), "A price cannot be negative.")],
        help_text="Paid backends: the price of a million output (answer) tokens.",
    )
    # Discovered in the background (tasks.refresh_models), never on the request path.
    model_names = models.JSONField(default=list, blank=True, editable=False)
    models_refreshed_at = models.DateTimeField(null=True, blank=True, editable=False)
    models_error = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key_encrypted or self.api_key_env)

    @property
    def is_paid(self) -> bool:
        return bool(self.price_input_per_m or self.price_output_per_m)

    # What the route form says about this backend's models (its notes, and gateway.js's).

    def offers(self, model: str) -> bool:
        """Whether its last discovery listed `model` (Ollama answers "llama3" as "llama3:latest")."""
        return model in self.model_names or f"{model}:latest" in self.model_names

    @property
    def no_models_note(self) -> str:
        """Why the model box has nothing to suggest for it, or "" when it has."""
        if self.model_names:
            return ""
        if self.models_refreshed_at:
            return f"{self.name} answered, but it has no models yet: pull one there, then type its name here."
        if self.models_error:
            return (
                f"{self.name} has not told HomeOps its models yet: it did not answer when asked. "
                "You can still type the model's name."
            )
        return (
            f"{self.name} has not told HomeOps its models yet (HomeOps asks every 5 minutes). "
            "You can still type the model's name."
        )

    @property
    def not_offered_words(self) -> str:
        """Follows a model's name: "llama3.3 is not among studio's models yet; ..."."""
        return f"is not among {self.name}'s models yet: pull it there before the route can use it."

    def model_note(self, model: str) -> str:
        """The route form's warning (never a refusal: a model may be pulled after the route is saved)."""
        if not self.model_names:
            return self.no_models_note
        if model and not self.offers(model):
            return f"{model} {self.not_offered_words}"
        return ""


class Route(models.Model):
    # Not a SlugField: its message ("Enter a valid 'slug' ...") is not the household's words.
    alias = models.CharField(
        max_length=64,
        unique=True,
        validators=[
            rules.address_name_saying(
                "Use letters, digits, - and _ only, like assistant or quick-answers "
                "(scripts put the alias in their requests)."
            )
        ],
        error_messages={
            "blank": "Give the route the name the family will ask for, like assistant.",
            "unique": "Another route already has this alias: choose another, or edit that one.",
        },
        help_text='What the household asks for: "assistant".',
    )
    workload = models.CharField(
        max_length=16,
        choices=Workload.choices,
        default=Workload.CHAT,
        error_messages={"invalid_choice": "Choose what it is for: chat or embeddings."},
    )
    description = models.CharField(max_length=200, blank=True, help_text="Shown in the chat's model picker.")

    class Meta:
        ordering = ["alias"]

    def __str__(self) -> str:
        return self.alias

    @staticmethod
    def check_targets(pairs: list[tuple[str, str]]) -> None:
        """A route's targets, as (backend name, model) in the order they are tried: at least
        one, and none twice. Raises ValidationError."""
        if not pairs:
            raise ValidationError("Add at least one target: a backend and the model to ask it for.", code="no_targets")
        seen = set()
        for backend, model in pairs:
            if (backend, model) in seen:
                raise ValidationError(f"{backend} / {model} is listed twice; keep it once.", code="twice")
            seen.add((backend, model))


class Target(models.Model):
    """One place a route can be answered, tried in `position` order."""

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="targets")
    position = models.PositiveSmallIntegerField(default=0)
    backend = models.ForeignKey(
        Backend,
        on_delete=models.CASCADE,
        related_name="targets",
        error_messages={
            "blank": "Choose the backend that runs this model.",
            "null": "Choose the backend that runs this model.",
            "invalid": "That backend is not there any more: choose another.",
        },
    )
    model = models.CharField(
        max_length=200,
        help_text="The model's name on that backend.",
        error_messages={"blank": "Write the model's name on that backend, like llama3.1:8b."},
    )
    max_tokens = models.PositiveIntegerField(
        default=2048,
        validators=rules.whole_between(1, 1_000_000, words=MAX_TOKENS_WORDS),
        error_messages=rules.number_words(MAX_TOKENS_WORDS),
        help_text="Most tokens one answer may take.",
    )
    context_tokens = models.PositiveIntegerField(
        default=8192,
        validators=rules.whole_between(256, 10_000_000, words=CONTEXT_WORDS),
        error_messages=rules.number_words(CONTEXT_WORDS),
        help_text="The model's context window.",
    )

    class Meta:
        ordering = ["route", "position", "id"]

    def __str__(self) -> str:
        return f"{self.route.alias} -> {self.backend.name}/{self.model}"


class Policy(ForRoleOrMember):
    """Per role, or per member (a member's policy takes each empty field from the role's)."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="gateway_policy",
        error_messages={"invalid": "That member is not listed any more: choose another."},
    )
    # None: every alias (or, for a member, the role's list).
    aliases = models.JSONField(null=True, blank=True)
    daily_tokens = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=rules.whole_between(1, 2_147_483_647, words=DAILY_TOKENS_WORDS),
        error_messages={"invalid": DAILY_TOKENS_WORDS},
        help_text="Empty: no daily limit.",
    )
    max_streams = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=rules.whole_between(1, 100, words=STREAMS_WORDS),
        error_messages={"invalid": STREAMS_WORDS},
        help_text="Empty: no limit.",
    )
    quiet_from = models.TimeField(
        null=True,
        blank=True,
        error_messages={"invalid": CLOCK_WORDS, "invalid_time": CLOCK_WORDS},
        help_text="No answers from this time ...",
    )
    quiet_until = models.TimeField(
        null=True,
        blank=True,
        error_messages={"invalid": CLOCK_WORDS, "invalid_time": CLOCK_WORDS},
        help_text="... until this time (household time).",
    )
    # {alias: prompt}: a system prompt the member cannot change (a homework helper).
    system_prompts = models.JSONField(default=dict, blank=True)

    noun = "policy"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["role"], condition=models.Q(member=None), name="policy_one_per_role"),
            ForRoleOrMember.one_audience("policy_role_or_member"),
        ]

    def __str__(self) -> str:
        return f"policy for {self.member.get_username() if self.member is not None else self.role}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        try:
            super().clean()  # a role or a member
        except ValidationError as exc:
            errors.update(exc.message_dict)
        others = Policy.objects.exclude(pk=self.pk)
        if self.role and not self.has_member and others.filter(role=self.role, member=None).exists():
            errors.setdefault("role", [f"There is already a policy for the {self.role} role: edit that one instead."])
        if self.member_id and others.filter(member_id=self.member_id).exists() and self.member is not None:
            errors["member"] = [f"{self.member.get_username()} already has a policy: edit that one instead."]
        if (self.quiet_from is None) != (self.quiet_until is None):
            errors["quiet_until"] = ["Give both ends of the quiet hours, or neither."]
        elif self.quiet_from is not None and self.quiet_from == self.quiet_until:
            errors["quiet_until"] = ["The quiet hours start and end at the same time; leave both empty for none."]
        if errors:
            raise ValidationError(errors)


class ApiKey(models.Model):
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(
        max_length=100, error_messages={"blank": "Write what the key is for, like “laptop scripts”."}
    )
    prefix = models.CharField(max_length=16, help_text="The key's first characters, to recognise it.")
    hashed = models.CharField(max_length=64, unique=True)  # sha256 hex: keys are long and random
    created = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditEntry(models.Model):
    """One request through the gateway. Metadata only unless the owner logs content."""

    created = models.DateTimeField(db_index=True)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    endpoint = models.CharField(max_length=40, choices=Endpoint.choices)
    alias = models.CharField(max_length=64, blank=True)
    backend = models.CharField(max_length=64, blank=True)  # a name, so history outlives the backend
    model = models.CharField(max_length=200, blank=True)
    fallback = models.BooleanField(default=False)
    status = models.PositiveSmallIntegerField()
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    ttft_ms = models.FloatField(null=True, blank=True)
    total_ms = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    content = models.JSONField(null=True, blank=True)  # only with content logging on

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["member", "created"])]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.endpoint} {self.alias} {self.status}"

    @property
    def via(self) -> str:
        return "API key" if self.api_key_id else "chat"


class UsageDay(models.Model):
    """Daily totals per member and alias, so usage pages stay fast with millions of entries."""

    day = models.DateField()
    member = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    alias = models.CharField(max_length=64, blank=True)
    requests = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    fallbacks = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    ttft_p50_ms = models.FloatField(null=True)
    ttft_p95_ms = models.FloatField(null=True)
    member_name: str  # not stored: set for the usage page (selectors.usage)

    class Meta:
        ordering = ["-day", "alias"]
        constraints = [models.UniqueConstraint(fields=["day", "member", "alias"], name="usage_once")]

    def __str__(self) -> str:
        return f"{self.day} {self.alias}: {self.requests} requests"


class GatewaySettings(models.Model):
    """One row. Content logging is off by default; switching it is itself audited."""

    log_content = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"gateway settings (content logging {'on' if self.log_content else 'off'})"

    @classmethod
    def load(cls) -> GatewaySettings:
        return cls.objects.get_or_create(pk=1)[0]
