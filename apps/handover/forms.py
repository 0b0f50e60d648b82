"""The owner's forms for contacts and handovers: presentation only. The rules are the models'
(apps/handover/models.py), which a ModelForm runs, and services.handover_save runs them again."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db import models

from apps.accounts.forms import DateTimeLocalInput
from apps.accounts.roles import Role
from apps.handover.models import Contact, Handover, HandoverNote, IfThen
from apps.runbooks.models import Runbook


def _blank_in_model_words(form: forms.ModelForm, *names: str) -> None:
    """An empty required field says the model's words (the form checks "required" first)."""
    for name in names:
        model_field = cast(models.Field, form._meta.model._meta.get_field(name))
        form.fields[name].error_messages["required"] = model_field.error_messages["blank"]


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "role", "phone", "email", "notes", "order"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}), "phone": forms.TextInput(attrs={"inputmode": "tel"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _blank_in_model_words(self, "name", "role")


class CaretakersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.first_name} ({obj.get_username()})" if obj.first_name else obj.get_username()


class HandoverForm(forms.ModelForm):
    """The handover's own fields, its caretakers, its key runbooks (a position each) and a new
    caretaker to invite. The if-then rows are a formset beside it (IfThenFormSet)."""

    caretakers = CaretakersField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Their access window becomes the handover's dates: they can sign in only then.",
    )
    invite_name = forms.CharField(
        label="Invite a new caretaker: name",
        required=False,
        max_length=150,
        help_text="Optional. Makes a caretaker whose access is the handover's dates, and a sign-in link for them.",
    )
    invite_email = forms.EmailField(
        label="Their email", required=False, help_text="Optional. With email set up, the link is sent there."
    )

    class Meta:
        model = Handover
        fields = ["title", "starts", "ends", "caretakers", "welcome", "checks"]
        widgets = {
            "starts": DateTimeLocalInput(),
            "ends": DateTimeLocalInput(),
            "welcome": forms.Textarea(attrs={"rows": 6}),
            "checks": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _blank_in_model_words(self, "title")
        caretakers = cast(forms.ModelMultipleChoiceField, self.fields["caretakers"])
        who = models.Q(groups__name=Role.CARETAKER, is_active=True)
        if self.instance.pk:
            who |= models.Q(handovers=self.instance)
        caretakers.queryset = get_user_model().objects.filter(who).distinct().order_by("first_name", "username")
        chosen = {hr.runbook_id: hr.order + 1 for hr in self.instance.key_runbooks.all()} if self.instance.pk else {}
        self.runbook_fields: list[tuple[forms.BoundField, Runbook]] = []
        for runbook in Runbook.objects.order_by("title", "id"):
            name = f"runbook_{runbook.pk}"
            self.fields[name] = forms.IntegerField(
                label=runbook.title,
                required=False,
                min_value=1,
                max_value=99,
                initial=chosen.get(runbook.pk),
                widget=forms.NumberInput(attrs={"class": "position"}),
            )
            self.runbook_fields.append((self[name], runbook))

    def clean_caretakers(self) -> Any:
        chosen = self.cleaned_data["caretakers"]
        if problems := Handover.caretaker_problems(chosen):
            raise forms.ValidationError(problems)
        return chosen

    def key_runbooks(self) -> list[Runbook]:
        """The runbooks given a position, in that order (ties by title)."""
        picked = [
            (self.cleaned_data[bound.name], index, runbook)
            for index, (bound, runbook) in enumerate(self.runbook_fields)
            if self.cleaned_data.get(bound.name)
        ]
        return [runbook for _, _, runbook in sorted(picked, key=lambda item: (item[0], item[1]))]


class IfThenForm(forms.ModelForm):
    runbook = forms.ModelChoiceField(
        queryset=Runbook.objects.order_by("title"), required=False, label="Runbook", empty_label="—"
    )

    class Meta:
        model = IfThen
        fields = ["when", "do", "runbook"]
        widgets = {"do": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _blank_in_model_words(self, "when", "do")


IfThenFormSet = forms.formset_factory(IfThenForm, extra=2, can_delete=True, max_num=30, validate_max=True)


class NoteForm(forms.ModelForm):
    class Meta:
        model = HandoverNote
        fields = ["text"]
        labels = {"text": "Add a note"}
        widgets = {"text": forms.Textarea(attrs={"rows": 2, "placeholder": "Watered the plants; the NAS beeped once."})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _blank_in_model_words(self, "text")
