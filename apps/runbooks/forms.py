"""The owner's runbook editor: a thin ModelForm (the rules are on Runbook) and the few
fields an edit carries besides the runbook: the note for its revision, the revision it
started from, and "keep these lines" after a secret warning."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.text import slugify

from apps.runbooks.models import Runbook
from apps.status.forms import bounds_in_widgets


class TagsField(forms.CharField):
    """Tags typed as words separated by commas or spaces; the model judges them (tags_problem)."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return [tag.lower() for tag in text.replace(",", " ").split() if tag] if text else []

    def prepare_value(self, value: Any) -> str:
        return " ".join(value) if isinstance(value, list) else (value or "")


class RunbookForm(forms.ModelForm):
    tags = TagsField(
        required=False,
        max_length=500,
        help_text="Words to group and find it by, separated by spaces: nas power backup.",
    )
    note = forms.CharField(
        required=False,
        max_length=200,
        label="What changed",
        help_text="A few words for the history, like “added the UPS step”.",
    )
    base_revision = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)
    keep_secrets = forms.BooleanField(
        required=False,
        label="Keep these lines anyway (the runbook will never be printed in the binder)",
    )

    class Meta:
        model = Runbook
        fields = ["title", "slug", "audience", "tags", "body", "hosts", "services", "review_days"]
        labels = {
            "slug": "Address",
            "audience": "Who may read it",
            "review_days": "Review every (days)",
            "body": "Steps and notes (Markdown)",
            "hosts": "Machines",
        }
        help_texts = {
            "slug": "Its address: /runbooks/<address>/. Left empty, it is made from the title.",
            "body": "Steps are task-list items: “- [ ] Open DSM”. Say where a password is kept, never the password.",
            "hosts": "The machines it is about.",
            "services": "The services it helps with: their page and the status board link here.",
        }
        widgets = {
            "body": forms.Textarea(attrs={"rows": 22, "spellcheck": "false"}),
            "hosts": forms.CheckboxSelectMultiple,
            "services": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        bounds_in_widgets(self)
        # The live preview: htmx posts the form (its CSRF token included) as the owner types,
        # at most every 400 ms; without JavaScript the Preview button does the same.
        self.fields["body"].widget.attrs.update(
            {
                "hx-post": reverse("runbooks:preview"),
                "hx-trigger": "input changed delay:400ms",
                "hx-target": "#preview",
                "hx-indicator": "#preview-busy",
                "hx-sync": "this:replace",
            }
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("slug") and data.get("title"):
            data["slug"] = slugify(data["title"])[:100] or "runbook"  # the model judges it like a typed one
        return data
