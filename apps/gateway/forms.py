"""Owner forms for backends, routes (with their ordered targets) and policies; the members' key
and usage forms. Bounds and rules are the models' (models.py): these forms add labels, widgets
and the input that exists only here (a typed API key, "May use" and the locked prompts)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms.formsets import ORDERING_FIELD_NAME

from apps.accounts.fields import MemberChoiceField
from apps.accounts.roles import Role
from apps.core.forms import model_words
from apps.gateway import secrets
from apps.gateway.models import PRICE_WORDS, ApiKey, Backend, Policy, Route, Target
from apps.notify.forms import TimeInput

ENV_FILE = "/etc/homeops/homeops.env"


def show_bounds(form: forms.ModelForm) -> None:
    """The browser's min/max hints, read from the model's validators (not typed again)."""
    for name, field in form.fields.items():
        try:
            model_field = form._meta.model._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field
            continue
        for validator in model_field.validators:
            if isinstance(validator, MinValueValidator):
                field.widget.attrs["min"] = validator.limit_value
            elif isinstance(validator, MaxValueValidator):
                field.widget.attrs["max"] = validator.limit_value


# --- Backends ------------------------------------------------------------------------------


class BackendForm(forms.ModelForm):
    # Write-only: never given an initial value, never rendered back (PasswordInput drops it).
    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "spellcheck": "false"}),
        help_text="Only if the server asks for one. Stored encrypted and never shown again.",
    )
    clear_api_key = forms.BooleanField(label="Remove the stored key", required=False)

    class Meta:
        model = Backend
        fields = [
            "name",
            "kind",
            "base_url",
            "api_key",
            "clear_api_key",
            "api_key_env",
            "timeout",
            "service",
            "price_input_per_m",
            "price_output_per_m",
        ]
        labels = {
            "name": "Name",
            "kind": "Kind of server",
            "base_url": "Address",
            "api_key_env": "Or: environment variable with the key",
            "timeout": "Timeout (seconds)",
            "service": "Watched by",
            "price_input_per_m": "Price of a million input tokens",
            "price_output_per_m": "Price of a million output tokens",
        }
        help_texts = {
            "name": "Short, for you: studio, macbook. Letters, digits, - and _.",
            "api_key_env": "Its name, like HOMEOPS_STUDIO_KEY, set in the environment file. "
            "Used instead of a stored key.",
            "price_input_per_m": "Paid cloud backends only, in the household's currency (the ledger's): what the "
            "provider charges for a million tokens of questions, like 0.15. Leave both prices empty for your own "
            "machines.",
            "price_output_per_m": "And for a million tokens of answers, like 0.60. With a price, the ledger turns "
            "this backend's tokens into money every morning (Ledger → Cloud API).",
        }
        error_messages = {
            name: {code: PRICE_WORDS for code in ("invalid", "max_digits", "max_decimal_places", "max_whole_digits")}
            for name in ("price_input_per_m", "price_output_per_m")
        }
        widgets = {
            "base_url": forms.TextInput(attrs={"inputmode": "url", "spellcheck": "false", "autocomplete": "off"})
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service = cast(forms.ModelChoiceField, self.fields["service"])  # the form field of a ForeignKey
        service.required = False
        service.empty_label = "No status-board service"
        model_words(self)
        show_bounds(self)
        self.fields["timeout"].widget.attrs["step"] = "any"
        if self.instance.api_key_encrypted:
            key_help = "A key is stored. Leave this empty to keep it; type a new one to replace it."
            self.fields["api_key"].help_text = key_help
        else:
            del self.fields["clear_api_key"]

    def clean_api_key_env(self) -> str:
        # Whether the variable is set is a fact of this server, not a rule of the setting: a
        # configuration file may be imported before the environment file is written.
        name = self.cleaned_data.get("api_key_env", "").strip()
        if name and not os.environ.get(name, "").strip() and self._is_a_name(name):
            raise forms.ValidationError(
                f"The environment variable {name} is not set. Add it to the environment file ({ENV_FILE}) "
                "and restart HomeOps (web and worker), then save again."
            )
        return name

    @staticmethod
    def _is_a_name(name: str) -> bool:
        try:
            Backend._meta.get_field("api_key_env").run_validators(name)
        except forms.ValidationError:
            return False  # the model's rule says why
        return True

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("api_key") and data.get("clear_api_key"):
            self.add_error("api_key", "Type a new key or remove the stored one, not both.")
        if data.get("api_key") and data.get("api_key_env"):
            self.add_error("api_key_env", "Type the key or name its environment variable, not both.")
        # The typed key becomes the stored, encrypted one (saved with the rest, or only tried).
        if data.get("api_key"):
            self.instance.api_key_encrypted = secrets.encrypt(data["api_key"])
        elif data.get("clear_api_key"):
            self.instance.api_key_encrypted = ""
        return data


# --- Routes and their targets --------------------------------------------------------------


class RouteForm(forms.ModelForm):
    class Meta:
        model = Route
        fields = ["alias", "workload", "description"]
        labels = {"alias": "Alias", "workload": "For"}
        help_texts = {"alias": "The name the family and scripts ask for: assistant, quick, homework."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_words(self)


class TargetForm(forms.ModelForm):
    class Meta:
        model = Target
        fields = ["backend", "model", "max_tokens", "context_tokens"]
        labels = {"max_tokens": "Most tokens per answer", "context_tokens": "Context window (tokens)"}
        help_texts = {"model": "Its name on that backend, as the backend lists it: pick one or type it."}
        # Every backend's models, labelled by backend; static/js/gateway.js narrows the list
        # to the chosen backend's own (datalists "models-<pk>" in route_form.html).
        widgets = {"model": forms.TextInput(attrs={"list": "known-models", "spellcheck": "false"})}

    def __init__(self, *args: Any, backends: dict[int, Backend] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.backends = backends or {}
        # The warning under the box (route_form.html) is read with it by a screen reader.
        self.fields["model"].widget.attrs["aria-describedby"] = f"{self['model'].auto_id}-note"
        cast(forms.ModelChoiceField, self.fields["backend"]).empty_label = "Choose a backend"
        model_words(self)
        show_bounds(self)

    @property
    def model_note(self) -> str:
        """A warning under the model box: the chosen backend has not reported models, or does
        not list this one. Not an error: a model may be pulled after the route is saved."""
        try:
            backend = self.backends.get(int(self["backend"].value() or 0))
        except (TypeError, ValueError):
            return ""
        return backend.model_note(str(self["model"].value() or "").strip()) if backend else ""


class BaseTargetFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        form.fields[ORDERING_FIELD_NAME].label = "Try order"
        form.fields[ORDERING_FIELD_NAME].widget.attrs.update(min=1)
        form.fields[ORDERING_FIELD_NAME].error_messages["invalid"] = (
            "Write 1 for the target tried first, 2 for the next, or leave it empty to keep the order shown."
        )
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this target"

    def clean(self) -> None:
        super().clean()
        if not any(self.errors):
            Route.check_targets([(target.backend.name, target.model) for target in self.in_order()])

    def in_order(self) -> list[Target]:
        """The kept targets (unsaved), ordered by "Try order" and then the rows' order;
        services.route_set_targets saves them and removes the others."""
        return [form.instance for form in self.ordered_forms if form.cleaned_data.get("backend")]


# The stub's return type forgets the formset= class, and with it save_in_order.
TargetFormSet = cast(
    type[BaseTargetFormSet],
    forms.inlineformset_factory(
        Route,
        Target,
        form=TargetForm,
        formset=BaseTargetFormSet,
        extra=2,
        can_order=True,
        can_delete=True,
    ),
)


# --- Policies ------------------------------------------------------------------------------

EVERY, LISTED = "every", "listed"


class PolicyForm(forms.ModelForm):
    role = forms.ChoiceField(
        label="For a role",
        choices=[("", "—")] + list(Role.choices),
        required=False,
        help_text="Everyone with this role…",
        error_messages={"invalid_choice": "Choose a role from the list: owner, family or caretaker."},
    )
    scope = forms.ChoiceField(
        label="May use",
        choices=[
            (EVERY, "Every model, also ones added later (for a member: whatever their role allows)"),
            (LISTED, "Only the models ticked below (none ticked: no model at all)"),
        ],
        widget=forms.RadioSelect,
        initial=EVERY,
        error_messages={"required": "Choose which models it allows: every model, or only the ones ticked."},
    )
    aliases = forms.MultipleChoiceField(
        label="Allowed models",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "%(value)s is not a route any more: untick it."},
    )

    class Meta:
        model = Policy
        fields = ["role", "member", "daily_tokens", "max_streams", "quiet_from", "quiet_until"]
        field_classes = {"member": MemberChoiceField}
        labels = {
            "member": "Or for one member",
            "daily_tokens": "Tokens per day",
            "max_streams": "Answers at the same time",
            "quiet_from": "Quiet from",
            "quiet_until": "Quiet until",
        }
        help_texts = {
            "member": "…or one person. A member's policy takes each empty field from their role's.",
            "daily_tokens": "Question and answer together, counted from midnight. Empty: no daily limit.",
            "max_streams": "Empty: no limit.",
            "quiet_from": "No answers from this time…",
            "quiet_until": "…until this time (household time). Leave both empty for none.",
        }
        widgets = {"quiet_from": TimeInput(), "quiet_until": TimeInput()}

    field_order = ["role", "member", "scope", "aliases", "daily_tokens", "max_streams", "quiet_from", "quiet_until"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        routes = list(Route.objects.all())
        cast(forms.ChoiceField, self.fields["aliases"]).choices = [
            (r.alias, f"{r.alias} ({r.description})" if r.description else r.alias) for r in routes
        ]
        member = cast(forms.ModelChoiceField, self.fields["member"])
        member.queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        member.empty_label = "—"
        model_words(self)
        show_bounds(self)
        prompts = self.instance.system_prompts or {}
        self.prompt_fields = []
        for route in routes:
            name = f"prompt_{route.alias}"
            self.fields[name] = forms.CharField(
                label=f"Locked system prompt for {route.alias}",
                required=False,
                initial=prompts.get(route.alias, ""),
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text="Optional. Sent before every conversation on this model; the member cannot change it.",
            )
            self.prompt_fields.append(name)
        if self.instance.pk:
            self.initial["scope"] = EVERY if self.instance.aliases is None else LISTED
            self.initial["aliases"] = list(self.instance.aliases or [])

    def clean(self) -> dict[str, Any]:
        """The form-only input becomes the policy's fields; the model judges the rest (who it
        is for, one per role or member, quiet hours) when the form runs its full_clean."""
        super().clean()
        data = self.cleaned_data
        if data.get("scope") == EVERY and data.get("aliases"):
            self.add_error(
                "aliases", "You ticked models but chose “Every model”: choose “Only the models ticked” or untick them."
            )
        self.instance.aliases = None if data.get("scope") == EVERY else sorted(data.get("aliases") or [])
        prompts = {name.removeprefix("prompt_"): data.get(name, "").strip() for name in self.prompt_fields}
        self.instance.system_prompts = {alias: prompt for alias, prompt in prompts.items() if prompt}
        return data


# --- Members: keys and usage ---------------------------------------------------------------


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name"]
        labels = {"name": "What is it for?"}
        help_texts = {"name": "A name to recognise it later: “laptop scripts”, “Home Assistant”."}
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_words(self)


class UsageFilterForm(forms.Form):
    start = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Write a day like 2026-12-20, or leave it empty."},
    )
    end = forms.DateField(
        label="Until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Write a day like 2026-12-20, or leave it empty for today."},
    )
    member = MemberChoiceField(
        label="Member",
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Everyone",
        error_messages={"invalid_choice": "That member is not listed any more: choose another."},
    )

    DEFAULT_DAYS = 30

    def __init__(self, *args: Any, today: date, everyone: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        if everyone:
            cast(MemberChoiceField, self.fields["member"]).queryset = get_user_model().objects.order_by("username")
        else:
            del self.fields["member"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        end = data.get("end") or self.today
        start = data.get("start") or end - timedelta(days=self.DEFAULT_DAYS - 1)
        if start > end:
            self.add_error("start", "The first day is after the last one.")
        elif (end - start).days >= settings.GATEWAY_AUDIT_DAYS:
            self.add_error("start", f"Pick at most {settings.GATEWAY_AUDIT_DAYS} days.")
        data["start"], data["end"] = start, end
        return data

    def period(self) -> tuple[date, date]:
        """The chosen days, or the last 30 when the form is empty or wrong."""
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return self.today - timedelta(days=self.DEFAULT_DAYS - 1), self.today
