"""The channel form: presentation only. Every rule is Channel's (its fields and clean()),
which the ModelForm runs; the form adds the checks of this machine's environment."""

from __future__ import annotations

from typing import Any

from django import forms

from apps.core.forms import model_words
from apps.notify.models import CHANNEL_FIELDS, Channel, ChannelKind, EventKind, all_events


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self) -> None:
        super().__init__(format="%H:%M")


class ChannelForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=all_events,
        help_text="What this channel hears about. Reminders follow “Something is down”. "
        "Cost creep tells what the household's costs are: tick it only on a channel the owner alone reads.",
    )

    class Meta:
        model = Channel
        fields = CHANNEL_FIELDS
        widgets = {"quiet_from": TimeInput(), "quiet_until": TimeInput()}
        labels = {
            "quiet_from": "Quiet from",
            "quiet_until": "Quiet until",
            "reminder_minutes": "Remind every (minutes)",
            "target": "Email address",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_words(self)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("kind") == ChannelKind.EMAIL:
            data["url_env"] = ""  # left over from another kind: the page shows every field
        return data

    def _post_clean(self) -> None:
        # The channel's own rules. django-stubs leave out BaseModelForm._post_clean, hence the ignore.
        super()._post_clean()  # type: ignore[misc]
        if not self.errors:
            for field, problem in self.instance.setup_problems().items():
                self.add_error(field, problem)
