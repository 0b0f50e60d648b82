"""The audit form: one small ModelForm per item (result, notes, and the item's details as
extra fields that AuditItem.clean judges), and one for the completion's time and notes."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django import forms
from django.utils import timezone

from apps.maintenance.audit import Item
from apps.maintenance.models import AuditItem, Completion
from apps.maintenance.services import FILE_LIMIT, FILES_PER_COMPLETION


class AuditItemForm(forms.ModelForm):
    class Meta:
        model = AuditItem
        fields = ["result", "notes"]
        widgets = {
            "result": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, spec: Item, **kwargs: Any) -> None:
        kwargs["prefix"] = spec.key
        super().__init__(*args, **kwargs)
        self.spec = spec
        result = self.fields["result"]
        assert isinstance(result, forms.ChoiceField)
        result.choices = AuditItem.Result.choices  # no empty choice
        self.fields["notes"].label = "Notes"
        kinds = AuditItem.DETAILS.get(spec.section, {})
        for detail in spec.details:
            kind, label = kinds[detail.key]
            field: forms.Field
            if kind == "minutes":
                field = forms.IntegerField(min_value=0, max_value=24 * 60)
            elif kind == "date":
                field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
            else:
                field = forms.CharField(max_length=500)
            field.required, field.label, field.help_text = False, label, detail.help
            self.fields[detail.key] = field

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[detail.key] for detail in self.spec.details]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        details: dict[str, Any] = {}
        for detail in self.spec.details:
            value = cleaned.get(detail.key)
            if value not in (None, ""):
                details[detail.key] = value.isoformat() if isinstance(value, date) else value
        # AuditItem.clean (run next by the ModelForm) judges these with the result.
        self.instance.section, self.instance.item, self.instance.details = self.spec.section, self.spec.label, details
        return cleaned

    def values(self) -> dict[str, Any]:
        """What audit.audit_complete takes for this item."""
        return {
            "section": self.spec.section,
            "item": self.spec.label,
            "result": self.instance.result,
            "notes": self.instance.notes,
            "details": self.instance.details,
        }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf,text/plain,.log"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(one, initial) for one in data]
        return [super().clean(data, initial)] if data else []


class AuditCompletionForm(forms.ModelForm):
    done_on = forms.DateField(
        required=False,
        label="Done on",
        help_text="Leave empty for today; an audit done over a weekend can be logged later.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    evidence = MultipleFileField(
        required=False,
        label="Evidence (optional)",
        help_text=f"Screenshots, a PDF or the restore log: up to {FILES_PER_COMPLETION} files of "
        f"{FILE_LIMIT // 1024 // 1024} MB each.",
    )

    field_order = ["done_on", "minutes", "notes", "evidence"]

    class Meta:
        model = Completion
        fields = ["minutes", "notes"]
        labels = {"minutes": "Time spent (minutes)", "notes": "Notes on the whole audit"}
        help_texts = {"minutes": "Counted in the time budget; left empty, the task's estimate counts."}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def clean_done_on(self) -> date | None:
        day = self.cleaned_data.get("done_on")
        if day and day > timezone.localdate():
            raise forms.ValidationError("The audit cannot be done in the future: give today or an earlier day.")
        return day

    def completed(self) -> datetime | None:
        """When it was done: now for today, midday in the household's zone for an earlier day."""
        day = self.cleaned_data.get("done_on")
        if not day or day == timezone.localdate():
            return None
        return datetime.combine(day, time(12), timezone.get_current_timezone())
