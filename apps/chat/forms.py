"""The owner's preset form: instructions for a role or for one member, optionally locked."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from apps.accounts.fields import MemberChoiceField
from apps.accounts.roles import CAPABILITIES, Role
from apps.chat.models import Preset

PROMPT_LIMIT = 4000  # the same bound as a member's own instructions (views.configure)

# A preset only reaches someone who may chat: caretakers cannot, so they are not offered.
CHAT_ROLES = [role for role in Role if role in CAPABILITIES["chat"]]


class PresetForm(forms.ModelForm):
    role = forms.ChoiceField(
        label="For a role",
        choices=[("", "—")] + [(role.value, role.label) for role in CHAT_ROLES],
        required=False,
        help_text="Everyone with this role…",
    )
    prompt = forms.CharField(
        label="Instructions for the assistant",
        max_length=PROMPT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"Sent before every question, at most {PROMPT_LIMIT:,} characters. For example: "
        "“You are a patient tutor for a 12-year-old. Explain step by step; do not give the answer.”",
        error_messages={"required": "Write the instructions: they are what the preset sends to the assistant."},
    )

    class Meta:
        model = Preset
        fields = ["name", "role", "member", "prompt", "locked"]
        field_classes = {"member": MemberChoiceField}
        labels = {"name": "Name", "member": "Or for one member", "locked": "Locked"}
        help_texts = {
            "name": "What members see in the list: “Homework helper”, “Short answers”.",
            "member": "…or one person. A locked preset of theirs wins over their role's.",
            "locked": "Always used; the member cannot change or turn it off.",
        }
        error_messages = {"name": {"required": "Give the preset a name, like “Homework helper”."}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member = cast(forms.ModelChoiceField, self.fields["member"])
        # Active members who may chat; the one already chosen stays listed so that editing the
        # name of a former member's preset does not fail on a choice that vanished.
        who = Q(is_active=True, groups__name__in=[role.value for role in CHAT_ROLES])
        if self.instance.member_id:
            who |= Q(pk=self.instance.member_id)
        member.queryset = get_user_model().objects.filter(who).distinct().order_by("username")
        member.empty_label = "—"
        member.error_messages["invalid_choice"] = "That member is not listed any more; choose another."

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        role, member = data.get("role", ""), data.get("member")
        if "member" in self.errors:
            return data
        if role and member:
            self.add_error("role", "Choose a role or a member, not both.")
            return data
        if not role and not member:
            self.add_error("role", "Choose who this preset is for: a role or a member.")
            return data
        if data.get("locked"):
            others = Preset.objects.filter(locked=True).exclude(pk=self.instance.pk)
            if member:
                taken, whom = others.filter(member=member).first(), member.get_username()
            else:
                taken, whom = others.filter(member=None, role=role).first(), f"The {Role(role).label.lower()} role"
            if taken:
                self.add_error(
                    "locked",
                    f"{whom} already has a locked preset, “{taken.name}”, and only one can apply. "
                    "Unlock that one first, or leave this one unlocked.",
                )
        return data
