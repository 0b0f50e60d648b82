"""The run page's forms: thin ModelForms over Run and RunStep (the words and bounds are the
models')."""

from __future__ import annotations

from django import forms

from apps.runbooks.models import Run, RunStep


class StepNoteForm(forms.ModelForm):
    class Meta:
        model = RunStep
        fields = ["note"]
        labels = {"note": "Note"}
        widgets = {"note": forms.Textarea(attrs={"rows": 2, "placeholder": "What you saw, what you did differently"})}


class FinishForm(forms.ModelForm):
    outcome = forms.ChoiceField(
        choices=Run.Outcome.choices,
        widget=forms.RadioSelect,
        label="How did it go?",
        error_messages={"required": "Say how it went: it worked, it partly worked, or it did not work."},
    )

    class Meta:
        model = Run
        fields = ["outcome", "note"]
        labels = {"note": "A note for the owner (optional)"}
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
