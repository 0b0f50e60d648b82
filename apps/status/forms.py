"""Owner forms for hosts, services and heartbeats. A service's check is validated by the same
rules as the config file (config_section.validate_check), so the two never disagree."""

from __future__ import annotations

from typing import Any, cast

import yaml
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from apps.core import links
from apps.core.config import RefusedYAML, read_yaml
from apps.status import kinds
from apps.status.config_section import validate_check
from apps.status.models import Host, Kind, Service

POLLED_KINDS = [(k.kind, Kind(k.kind).label) for k in kinds.polled()]
RESERVED = {"new"}
LABELS = {
    "label": "Label for the family",
    "what_to_do": "What this means, what to do",
    "runbook_url": "Runbook link",
    "depends_on": "Depends on",
    "queue": "Probe queue",
    "name": "Name",
}


class HostForm(forms.ModelForm):
    class Meta:
        model = Host
        fields = ["name", "address", "kind", "location", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class _ServiceBase(forms.ModelForm):
    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if name in RESERVED:
            raise forms.ValidationError("That name is reserved; pick another.")
        return name

    def clean_runbook_url(self) -> str:
        # The same rule as the config file (config.link): http(s) or a path, never script.
        url = self.cleaned_data["runbook_url"]
        links.validate_link(url)
        return url


def _for_kinds_with(option: str) -> str:
    """ "For tcp and nut checks.": the kinds that take `option`, in the words of the form."""
    names = [k.kind for k in kinds.polled() if option in k.options]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"For {listed} checks."


class ServiceForm(_ServiceBase):
    kind = forms.ChoiceField(
        choices=POLLED_KINDS,
        initial=Kind.HTTP,
        help_text="; ".join(f"{k.kind}: {k.summary}" for k in kinds.polled()) + ".",
    )
    url = forms.CharField(label="URL", required=False, help_text=_for_kinds_with("url"))
    check_host = forms.CharField(label="Host to connect to", required=False, help_text=_for_kinds_with("host"))
    check_port = forms.IntegerField(label="Port", required=False, min_value=1, max_value=65535)
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
        ]
        widgets = {"what_to_do": forms.Textarea(attrs={"rows": 3})}
        labels = LABELS

    field_order = ["name", "label", "host", "kind", "url", "check_host", "check_port", "more"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["depends_on"]).queryset = Service.objects.exclude(
            pk=self.instance.pk
        )
        self.fields["depends_on"].required = False
        # The same bounds as the config file (config_section.validate_services).
        for field, low, high in (("interval", 5, 86400), ("timeout", 0.5, 120), ("retries", 0, 10)):
            self.fields[field].validators += [MinValueValidator(low), MaxValueValidator(high)]
            self.fields[field].widget.attrs.update(min=low, max=high)
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
        try:
            more = read_yaml(data.get("more") or "")[0] or {}
        except RefusedYAML as exc:
            self.add_error("more", exc.problem or str(exc))
            return data
        except yaml.YAMLError as exc:
            self.add_error("more", f"not valid YAML: {getattr(exc, 'problem', exc)}")
            return data
        if not isinstance(more, dict):
            self.add_error("more", "write name: value lines, like keyword: Welcome")
            return data
        check = {"kind": data.get("kind"), **more}
        for field, key in (("url", "url"), ("check_host", "host"), ("check_port", "port")):
            if data.get(field) not in (None, ""):
                check[key] = data[field]
        for message in validate_check(check):
            self.add_error(None, message)
        self.check_config = {k: v for k, v in check.items() if k != "kind"}
        return data

    def save(self, commit: bool = True) -> Service:
        service = super().save(commit=False)
        service.check_config = self.check_config
        if commit:
            service.save()
            self.save_m2m()
        return service

    def unsaved_service(self) -> Service:
        """The service as the form describes it, for "test this check" without saving."""
        service = Service(**{f: self.cleaned_data[f] for f in ("kind", "timeout") if f in self.cleaned_data})
        service.check_config = self.check_config
        return service


class HeartbeatForm(_ServiceBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["min_duration"].required = False

    def clean_min_duration(self) -> int:
        return self.cleaned_data.get("min_duration") or 0

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
        ]
        widgets = {"what_to_do": forms.Textarea(attrs={"rows": 3})}
        labels = LABELS
        help_texts = {
            "period": "Seconds between expected pings: 86400 for a nightly job.",
            "grace": "Extra seconds before it counts as down: how late a run may finish.",
            "min_duration": "Optional. With /start pings, a run shorter than this many seconds counts as failed.",
        }
