"""The owner's preset form: instructions for a role or for one member, optionally locked.
Who it is for and the one-locked-preset rule are the model's (Preset.clean)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q

from apps.accounts.roles import CAPABILITIES, Role
from apps.chat.models import PROMPT_LIMIT, Preset

# A preset only reaches someone who may chat: caretakers cannot, so they are not offered.
CHAT_ROLES = [role for role in Role if role in CAPABILITIES["chat"]]


class PresetForm(forms.ModelForm):
    role = forms.ChoiceField(
        label="For a role",
        choices=[("", "—")] + [(role.value, role.label) for role in CHAT_ROLES],
        required=False,
        help_text="Everyone with this role…",
    )

    class Meta:
        model = Preset
        fields = ["name", "role", "member", "prompt", "locked"]
        labels = {
            "name": "Name",
            "member": "Or for one member",
            "prompt": "Instructions for the assistant",
            "locked": "Locked",
        }
        help_texts = {
            "name": "What members see in the list: “Homework helper”, “Short answers”.",
            "member": "…or one person. A locked preset of theirs wins over their role's.",
            "prompt": f"Sent before every question, at most {PROMPT_LIMIT:,} characters. For example: "
            "“You are a patient tutor for a 12-year-old. Explain step by step; do not give the answer.”",
            "locked": "Always used; the member cannot change or turn it off.",
        }
        widgets = {"prompt": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An empty name or prompt in the model's words (the form checks "required" first).
        for name in ("name", "prompt"):
            model_field = cast(models.Field, Preset._meta.get_field(name))  # a column, not a relation
            self.fields[name].error_messages["required"] = model_field.error_messages["blank"]
        member = cast(forms.ModelChoiceField, self.fields["member"])  # the form field of a ForeignKey
        # Active members who may chat; the one already chosen stays listed so that editing the
        # name of a former member's preset does not fail on a choice that vanished.
        who = Q(is_active=True, groups__name__in=[role.value for role in CHAT_ROLES])
        if self.instance.member_id:
            who |= Q(pk=self.instance.member_id)
        member.queryset = get_user_model().objects.filter(who).distinct().order_by("username")
        member.empty_label = "—"
        member.error_messages["invalid_choice"] = "That member is not listed any more; choose another."
