"""Thin forms for the trial pages: the models (models.py) hold the fields' bounds and words."""

from __future__ import annotations

from typing import Any

from django import forms

from apps.gateway.models import Backend, Route
from apps.maintenance.models import Prompt, PromptSet, Trial, Vote


class PromptSetForm(forms.ModelForm):
    class Meta:
        model = PromptSet
        fields = ["alias", "name"]
        labels = {"alias": "Alias", "name": "Name"}
        help_texts = {
            "alias": "The route the prompts are for, like “assistant”.",
            "name": "Like “Everyday questions”.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        aliases = list(Route.objects.filter(workload="chat").values_list("alias", flat=True))
        if self.instance.alias and self.instance.alias not in aliases:
            aliases.append(self.instance.alias)
        self.fields["alias"].widget = forms.Select(choices=[(a, a) for a in aliases])

    def validate_unique(self) -> None:
        """The service says it in words (trials.prompt_set_save)."""


class PromptForm(forms.ModelForm):
    class Meta:
        model = Prompt
        fields = ["text"]
        labels = {"text": "A question the household asks"}
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class TrialForm(forms.ModelForm):
    class Meta:
        model = Trial
        fields = ["candidate_backend", "candidate_model"]
        labels = {"candidate_backend": "Candidate's backend", "candidate_model": "Candidate model"}
        help_texts = {"candidate_model": "One the backend offers (suggested as you type), or any name it knows."}
        widgets = {"candidate_model": forms.TextInput(attrs={"list": "known-models", "spellcheck": "false"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = list(Backend.objects.values_list("name", flat=True))
        self.fields["candidate_backend"].widget = forms.Select(choices=[(n, n) for n in names])


class VoteForm(forms.ModelForm):
    class Meta:
        model = Vote
        fields = ["choice", "note"]
        labels = {"choice": "Which answer is better?", "note": "Note (optional)"}
        widgets = {
            "choice": forms.RadioSelect,
            "note": forms.TextInput(attrs={"placeholder": "What made the difference"}),
        }
