"""Thin forms: the task's rules are on the model (full_clean through services.task_save); the
forms only turn a checklist into lines and back, and gather what a completion says."""

from __future__ import annotations

from typing import Any

from django import forms

from apps.maintenance.models import Completion, MaintenanceTask


class ChecklistField(forms.CharField):
    """One item per line; the model judges the list (checklist_problem)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> Any:  # a list of lines, where CharField gives text
        text = super().to_python(value) or ""
        return [line.strip() for line in str(text).splitlines() if line.strip()]


class TaskForm(forms.ModelForm):
    checklist = ChecklistField(required=False, help_text="Items to tick when it is done, one per line.")

    class Meta:
        model = MaintenanceTask
        fields = [
            "title",
            "description",
            "kind",
            "category",
            "cadence",
            "rrule",
            "anchor",
            "starts",
            "estimate_minutes",
            "runbook",
            "assignee",
            "assignee_role",
            "checklist",
            "paused",
        ]
        labels = {
            "rrule": "Custom rule",
            "estimate_minutes": "Estimated minutes",
            "assignee": "Assigned to a member",
            "assignee_role": "…or to everyone with a role",
            "paused": "Paused (no due dates, no reminders)",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "starts": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


class CompletionForm(forms.ModelForm):
    """What the complete form asks; the ticked items arrive as the `tick` checkboxes."""

    class Meta:
        model = Completion
        fields = ["outcome", "minutes", "notes"]
        labels = {"minutes": "Minutes it took", "notes": "Notes"}
        widgets = {"outcome": forms.RadioSelect, "notes": forms.Textarea(attrs={"rows": 4})}


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False)
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
