"""Owner forms for backends, routes (with their ordered targets) and policies; the members' key
and usage forms. Bounds and rules are the config file's (config_section.py), so a setting the
page accepts also imports, and the other way round."""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import transaction
from django.forms.formsets import ORDERING_FIELD_NAME

from apps.accounts.fields import MemberChoiceField
from apps.accounts.roles import Role
from apps.core.rules import env_name_problem
from apps.gateway import secrets, services
from apps.gateway.models import Backend, Policy, Route, Target
from apps.notify.forms import TimeInput

ENV_FILE = "/etc/homeops/homeops.env"


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


# --- Backends ------------------------------------------------------------------------------


class BackendForm(forms.ModelForm):
    # Not the model's URLField: home networks use bare host names (http://studio:11434), which
    # Django's URL validator refuses. The config file only asks for http:// or https:// too.
    base_url = forms.CharField(
        label="Address",
        max_length=255,
        help_text=Backend._meta.get_field("base_url").help_text,
        widget=forms.TextInput(attrs={"inputmode": "url", "spellcheck": "false", "autocomplete": "off"}),
    )
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
        fields = ["name", "kind", "base_url", "api_key", "clear_api_key", "api_key_env", "timeout", "service"]
        labels = {
            "name": "Name",
            "kind": "Kind of server",
            "api_key_env": "Or: environment variable with the key",
            "timeout": "Timeout (seconds)",
            "service": "Watched by",
        }
        help_texts = {
            "name": "Short, for you: studio, macbook. Letters, digits, - and _.",
            "api_key_env": "Its name, like HOMEOPS_STUDIO_KEY, set in the environment file. "
            "Used instead of a stored key.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].required = False
        cast(forms.ModelChoiceField, self.fields["service"]).empty_label = "No status-board service"
        self.fields["timeout"].widget.attrs.update(min=1, max=600, step="any")
        if self.instance.api_key_encrypted:
            key_help = "A key is stored. Leave this empty to keep it; type a new one to replace it."
            self.fields["api_key"].help_text = key_help
        else:
            del self.fields["clear_api_key"]

    def _get_validation_exclusions(self) -> set[str]:
        # The model's URLValidator would refuse http://studio:11434 again; clean_base_url decides.
        return super()._get_validation_exclusions() | {"base_url"}  # type: ignore[misc]  # Django has it, the stub not

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"].strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise forms.ValidationError(
                "Give the whole address, starting with http:// or https://, like http://studio.home.arpa:11434."
            )
        return url

    def clean_timeout(self) -> float:
        timeout = self.cleaned_data["timeout"]
        if not 1 <= timeout <= 600:
            raise forms.ValidationError("Give a number of seconds from 1 to 600.")
        return timeout

    def clean_api_key_env(self) -> str:
        name = self.cleaned_data.get("api_key_env", "").strip()
        if not name:
            return ""
        if problem := env_name_problem(name, "key"):
            raise forms.ValidationError(_sentence(problem))
        if not os.environ.get(name, "").strip():
            raise forms.ValidationError(
                f"The environment variable {name} is not set. Add it to the environment file ({ENV_FILE}) "
                "and restart HomeOps (web and worker), then save again."
            )
        return name

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("api_key") and data.get("clear_api_key"):
            self.add_error("api_key", "Type a new key or remove the stored one, not both.")
        if data.get("api_key") and data.get("api_key_env"):
            self.add_error("api_key_env", "Type the key or name its environment variable, not both.")
        return data

    def _encrypted_key(self) -> str:
        if self.cleaned_data.get("api_key"):
            return secrets.encrypt(self.cleaned_data["api_key"])
        if self.cleaned_data.get("clear_api_key"):
            return ""
        return self.instance.api_key_encrypted

    def unsaved_backend(self) -> Backend:
        """The backend as the form describes it, for "Test connection" without saving."""
        fields = ("name", "kind", "base_url", "api_key_env", "timeout")
        backend = Backend(**{f: self.cleaned_data[f] for f in fields}, api_key_encrypted=self._encrypted_key())
        backend.pk = self.instance.pk  # missing_models() looks at this backend's targets
        return backend

    @transaction.atomic
    def save(self, commit: bool = True) -> Backend:
        backend = super().save(commit=commit)
        if commit:
            if self.cleaned_data.get("api_key"):
                services.set_api_key(backend, self.cleaned_data["api_key"])
            elif self.cleaned_data.get("clear_api_key"):
                services.clear_api_key(backend)
        return backend


# --- Routes and their targets --------------------------------------------------------------


class RouteForm(forms.ModelForm):
    class Meta:
        model = Route
        fields = ["alias", "workload", "description"]
        labels = {"alias": "Alias", "workload": "For"}
        help_texts = {"alias": "The name the family and scripts ask for: assistant, quick, homework."}


class TargetForm(forms.ModelForm):
    class Meta:
        model = Target
        fields = ["backend", "model", "max_tokens", "context_tokens"]
        labels = {"max_tokens": "Most tokens per answer", "context_tokens": "Context window (tokens)"}
        widgets = {"model": forms.TextInput(attrs={"list": "known-models", "spellcheck": "false"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["backend"]).empty_label = "Choose a backend"
        # The config file's bounds (config_section.validate_routes).
        for field, low, high in (("max_tokens", 1, 1_000_000), ("context_tokens", 256, 10_000_000)):
            self.fields[field].validators += [MinValueValidator(low), MaxValueValidator(high)]
            self.fields[field].widget.attrs.update(min=low, max=high)


class BaseTargetFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        form.fields[ORDERING_FIELD_NAME].label = "Try order"
        form.fields[ORDERING_FIELD_NAME].widget.attrs.update(min=1)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this target"

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.ordered_forms if f.cleaned_data.get("backend")]
        if not kept:
            raise forms.ValidationError("Add at least one target: a backend and the model to ask it for.")
        seen = set()
        for form in kept:
            pair = (form.cleaned_data["backend"].name, form.cleaned_data["model"])
            if pair in seen:
                raise forms.ValidationError(f"{pair[0]} / {pair[1]} is listed twice; keep it once.")
            seen.add(pair)

    def save_in_order(self, route: Route) -> list[Target]:
        """Positions follow "Try order" (then the rows' order); removed targets go."""
        for form in self.deleted_forms:
            if form.instance.pk:
                form.instance.delete()
        targets = []
        for position, form in enumerate(self.ordered_forms):
            target = form.save(commit=False)
            target.route, target.position = route, position
            target.save()
            targets.append(target)
        return targets


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
    )
    scope = forms.ChoiceField(
        label="May use",
        choices=[
            (EVERY, "Every model, also ones added later (for a member: whatever their role allows)"),
            (LISTED, "Only the models ticked below (none ticked: no model at all)"),
        ],
        widget=forms.RadioSelect,
        initial=EVERY,
    )
    aliases = forms.MultipleChoiceField(label="Allowed models", required=False, widget=forms.CheckboxSelectMultiple)

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
        self.fields["daily_tokens"].validators.append(MinValueValidator(1))
        self.fields["daily_tokens"].widget.attrs.update(min=1)
        self.fields["max_streams"].widget.attrs.update(min=1, max=100)
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

    def clean_max_streams(self) -> int | None:
        value = self.cleaned_data.get("max_streams")
        if value is not None and not 1 <= value <= 100:
            raise forms.ValidationError("Give a number from 1 to 100, or leave it empty for no limit.")
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        role, member = data.get("role"), data.get("member")
        if "member" in self.errors:
            return data
        if role and member:
            self.add_error("role", "Choose a role or a member, not both.")
        elif not role and not member:
            self.add_error("role", "Choose who this policy is for: a role or a member.")
        others = Policy.objects.exclude(pk=self.instance.pk)
        if role and not member and others.filter(role=role, member=None).exists():
            self.add_error("role", f"There is already a policy for the {role} role: edit that one instead.")
        if member and others.filter(member=member).exists():
            self.add_error("member", f"{member.get_username()} already has a policy: edit that one instead.")
        if data.get("scope") == EVERY and data.get("aliases"):
            self.add_error(
                "aliases", "You ticked models but chose “Every model”: choose “Only the models ticked” or untick them."
            )
        start, end = data.get("quiet_from"), data.get("quiet_until")
        if (start is None) != (end is None):
            self.add_error("quiet_until", "Give both ends of the quiet hours, or neither.")
        elif start is not None and start == end:
            self.add_error("quiet_until", "The quiet hours start and end at the same time; leave both empty for none.")
        return data

    def save(self, commit: bool = True) -> Policy:
        policy = super().save(commit=False)
        data = self.cleaned_data
        policy.role = "" if data.get("member") else data.get("role", "")
        policy.aliases = None if data["scope"] == EVERY else sorted(data.get("aliases") or [])
        prompts = {name.removeprefix("prompt_"): data.get(name, "").strip() for name in self.prompt_fields}
        policy.system_prompts = {alias: prompt for alias, prompt in prompts.items() if prompt}
        if commit:
            policy.save()
        return policy


# --- Members: keys and usage ---------------------------------------------------------------


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="What is it for?",
        max_length=100,
        help_text="A name to recognise it later: “laptop scripts”, “Home Assistant”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class UsageFilterForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    member = MemberChoiceField(
        label="Member", queryset=get_user_model().objects.none(), required=False, empty_label="Everyone"
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
