from __future__ import annotations

import os

from django import forms
from django.conf import settings

from apps.core.rules import env_name_problem
from apps.notify.config_section import NEEDS_URL
from apps.notify.models import Channel, ChannelKind, EventKind


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self) -> None:
        super().__init__(format="%H:%M")


class ChannelForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=list(EventKind.values),
        help_text="What this channel hears about. Reminders follow “Something is down”.",
    )

    class Meta:
        model = Channel
        fields = [
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
        widgets = {"quiet_from": TimeInput(), "quiet_until": TimeInput()}
        labels = {
            "quiet_from": "Quiet from",
            "quiet_until": "Quiet until",
            "reminder_minutes": "Remind every (minutes)",
            "target": "Email address",
        }

    def clean_url_env(self) -> str:
        return self.cleaned_data.get("url_env", "").strip()

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        kind, env, target = data.get("kind"), data.get("url_env", ""), data.get("target", "")
        if kind in NEEDS_URL:
            if not env:
                self.add_error("url_env", "Name the environment variable that holds the URL, e.g. HOMEOPS_DISCORD_URL.")
            elif problem := env_name_problem(env):
                self.add_error("url_env", problem[0].upper() + problem[1:] + ".")
            elif not os.environ.get(env, "").strip():
                self.add_error(
                    "url_env",
                    f"The environment variable {env} is not set. Add it to the environment file "
                    "(/etc/homeops/homeops.env) and restart HomeOps (web and worker), then save again.",
                )
            if target:
                self.add_error("target", "Only email channels send to an address; leave this empty.")
        elif kind == ChannelKind.EMAIL:
            if not target:
                self.add_error("target", "Give the address that receives alerts.")
            if not settings.EMAIL_CONFIGURED:
                self.add_error(
                    "kind", "Email is not set up: set EMAIL_HOST (and its user and password) in the environment first."
                )
            data["url_env"] = ""
        start, end = data.get("quiet_from"), data.get("quiet_until")
        if (start is None) != (end is None):
            self.add_error("quiet_until", "Give both ends of the quiet hours, or neither.")
        return data
