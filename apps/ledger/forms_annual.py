"""The annual review's notes: what the owner decided, the time it took, and (when the
household has several annual review tasks) which one it completes. The completion's own
rules (Completion.full_clean through maintenance's task_complete) still judge the result."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms

from apps.maintenance.models import DESCRIPTION_LIMIT, MaintenanceTask

NOTES_LIMIT = DESCRIPTION_LIMIT - 100  # room for the first line naming the year (annual.marker)


class TaskChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: MaintenanceTask) -> str:
        return obj.title


class AnnualNotesForm(forms.Form):
    notes = forms.CharField(
        max_length=NOTES_LIMIT,
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={
            "required": "Write what you decided, like “Keep the Studio; drop the paid fallback in spring.”",
            "max_length": f"Keep the notes under {NOTES_LIMIT:,} characters; link a runbook for the details.",
        },
    )
    hours = forms.DecimalField(
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(24),
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.25", "inputmode": "decimal"}),
        error_messages={
            "invalid": "Write the hours as a number, like 6 or 5.5.",
            "min_value": "Write the hours as a number from 0 to 24, like 6 or 5.5.",
            "max_value": "At most 24 hours fit one completion; write 24 and note the rest.",
            "max_decimal_places": "Write the hours with at most two decimals, like 5.25.",
        },
    )

    def __init__(self, *args: Any, tasks: list[MaintenanceTask], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(tasks) > 1:
            self.fields["task"] = TaskChoice(
                queryset=MaintenanceTask.objects.filter(pk__in=[t.pk for t in tasks]).order_by("title", "pk"),
                empty_label=None,
                label="Which task this review completes",
                error_messages={"invalid_choice": "Choose one of the annual review tasks listed."},
            )

    @property
    def minutes(self) -> int | None:
        hours = self.cleaned_data.get("hours")
        return None if hours is None else int((hours * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
