"""Owner forms for hosts, services and heartbeats: labels, widgets and the check's input boxes.
Every rule (bounds, the name, the runbook link, a check's settings) is on the model, which a
ModelForm runs (full_clean) as the configuration file does (config_section): the two cannot
disagree."""

from __future__ import annotations

from typing import Any, cast

import yaml
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from apps.core import config
from apps.core.config import RefusedYAML, read_yaml
from apps.core.forms import model_words
from apps.status import kinds
from apps.status.models import Host, Kind, Service

POLLED_KINDS = [(k.kind, Kind(k.kind).label) for k in kinds.polled()]
LABELS = {
    "label": "Label for the family",
    "what_to_do": "What this means, what to do",
    "runbook_url": "Runbook link",
    "depends_on": "Depends on",
    "queue": "Probe queue",
    "name": "Name",
    "interval": "Check every (seconds)",
    "timeout": "Give up after (seconds)",
    "retries": "Failed checks before it counts as down",
    "criticality": "How much it matters",
}
HELP = {
    "retries": "One failed check can be a hiccup: 1 waits for a second failure before saying it is down.",
    "queue": "Which worker checks it: leave “celery” unless only a worker on another machine can reach it.",
    "depends_on": "When one of these is down, this one is shown as waiting for it instead of as a second problem.",
}


def bounds_in_widgets(form: forms.ModelForm) -> None:
    """The browser's min and max, read from the model's own bounds (rules.between)."""
    for name, field in form.fields.items():
        try:
            validators = form._meta.model._meta.get_field(name).validators
        except FieldDoesNotExist:
            continue
        lows = [v.limit_value for v in validators if isinstance(v, MinValueValidator)]
        highs = [v.limit_value for v in validators if isinstance(v, MaxValueValidator)]
        if lows:
            field.widget.attrs["min"] = max(lows)
        if highs:
            field.widget.attrs["max"] = min(highs)


class HostForm(forms.ModelForm):
    class Meta:
        model = Host
        fields = ["name", "address", "kind", "location", "description", "credentials_pointer"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_words(self)


# The check's settings that have a box of their own; the rest are typed in `more`.
BOX_OF = {"url": "url", "host": "check_host", "port": "check_port"}
MISSING_WORDS = {
    "url": "Write the address to check, like http://nas.home.arpa:5000.",
    "host": "Write the machine to connect to, like nas.home.arpa.",
    "port": "Write the port to connect to, like 5000.",
}


def _for_kinds_with(option: str) -> str:
    """ "For tcp and nut checks.": the kinds that take `option`, in the words of the form."""
    names = [k.kind for k in kinds.polled() if option in k.options]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"For {listed} checks."


class ServiceForm(forms.ModelForm):
    """The check's settings are typed in url, check_host, check_port and the `more` YAML box;
    clean() gathers them into the service's check_config, which the model judges."""

    kind = forms.ChoiceField(
        choices=POLLED_KINDS,
        initial=Kind.HTTP,
        help_text="; ".join(f"{k.kind}: {k.summary}" for k in kinds.polled()) + ".",
        error_messages={"invalid_choice": "Choose what kind of check it is from the list."},
    )
    url = forms.CharField(label="URL", required=False, help_text=_for_kinds_with("url"))
    check_host = forms.CharField(label="Host to connect to", required=False, help_text=_for_kinds_with("host"))
    check_port = forms.IntegerField(
        label="Port", required=False, error_messages={"invalid": "Write the port as a number, like 5000."}
    )
    more = forms.CharField(
        label="More check settings (YAML)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="Optional, as in the config file: expect_status: 200-299, keyword: Welcome, "
        "expect_models: [llama3.1:8b], ups: ups, degraded_ms: 1500 ... (docs/status.md).",
    )

    class Meta:
        model = Service
        fields = [
            "name",
            "label",
            "host",
            "kind",
            "interval",
            "timeout",
            "retries",
            "depends_on",
            "criticality",
            "queue",
            "what_to_do",
            "runbook_url",
            "credentials_pointer",
        ]
        widgets = {"what_to_do": forms.Textarea(attrs={"rows": 3})}
        labels = LABELS
        help_texts = HELP

    field_order = ["name", "label", "host", "kind", "url", "check_host", "check_port", "more"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["depends_on"]).queryset = Service.objects.exclude(
            pk=self.instance.pk
        )
        self.fields["depends_on"].required = False
        model_words(self)
        bounds_in_widgets(self)
        if self.instance.pk:
            extra = dict(self.instance.check_config)
            self.initial.update(
                url=extra.pop("url", ""),
                check_host=extra.pop("host", ""),
                check_port=extra.pop("port", None),
                more=yaml.safe_dump(extra, sort_keys=False) if extra else "",
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        check = self._more_settings(data.get("more") or "")
        for field, key in (("url", "url"), ("check_host", "host"), ("check_port", "port")):
            if data.get(field) not in (None, ""):
                check[key] = data[field]
        self.instance.check_config = check  # judged with the rest of the model after clean()
        self._judge_check(data.get("kind", ""), check)
        return data

    def _judge_check(self, kind: str, check: dict[str, Any]) -> None:
        """The kind's problems with the check (the model's one judge, kinds.check_problems), each
        under the box it is about, rather than as "check.url: ..." above the form."""
        check_kind = kinds.KINDS.get(kind)
        if check_kind is None or self.has_error("more"):
            return
        self.check_judged = True
        for key in sorted(check_kind.required - check.keys()):
            self.add_error(BOX_OF.get(key, "more"), MISSING_WORDS.get(key, f"Add {key}: … to the check settings."))
        problems: list[tuple[config.Path, str]]
        if check_kind.required - check.keys():  # the settings there are, each by its rule
            problems = [
                ((key,), problem)
                for key, rule in check_kind.options.items()
                if key in check and (problem := rule(check[key]))
            ]
        else:
            problems = kinds.check_problems(kind, check)
        for where, problem in problems:
            box = BOX_OF.get(str(where[0])) if where else None
            self.add_error(box or "more", problem if box else f"{config.format_path(where)}: {problem}")

    def _more_settings(self, text: str) -> dict[str, Any]:
        try:
            more = read_yaml(text)[0] or {}
        except RefusedYAML as exc:
            self.add_error("more", exc.problem)
            return {}
        except yaml.YAMLError as exc:
            self.add_error("more", f"not valid YAML: {getattr(exc, 'problem', exc)}")
            return {}
        if not isinstance(more, dict):
            self.add_error("more", "write name: value lines, like keyword: Welcome")
            return {}
        return more

    def add_error(self, field: str | None, error: Any) -> None:
        # The model judges the check as one field, check_config, which this form spreads over
        # url, check_host, check_port and more: its problems ("check.url: ...") go above them all.
        if field is None and hasattr(error, "error_dict") and "check_config" in error.error_dict:
            errors = dict(error.error_dict)
            if getattr(self, "check_judged", False):  # said under its boxes already (_judge_check)
                errors.pop("check_config")
                if not errors:
                    return
            errors[NON_FIELD_ERRORS] = errors.get(NON_FIELD_ERRORS, []) + errors.pop("check_config")
            error = ValidationError(errors)
        super().add_error(field, error)


class HeartbeatForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["min_duration"].required = False
        model_words(self)
        bounds_in_widgets(self)

    def clean_min_duration(self) -> int:
        return self.cleaned_data.get("min_duration") or 0  # left empty: no shortest run

    class Meta:
        model = Service
        fields = [
            "name",
            "label",
            "host",
            "period",
            "grace",
            "min_duration",
            "criticality",
            "what_to_do",
            "runbook_url",
            "credentials_pointer",
        ]
        widgets = {"what_to_do": forms.Textarea(attrs={"rows": 3})}
        labels = {**LABELS, "period": "Expected every (seconds)", "grace": "Late by at most (seconds)"}
        help_texts = {
            "period": "Seconds between expected pings: 86400 for a nightly job, 604800 for a weekly one.",
            "grace": "Extra seconds before it counts as down: how late a run may finish (3600 is an hour).",
            "min_duration": "Optional. With /start pings, a run shorter than this many seconds counts as failed.",
        }
