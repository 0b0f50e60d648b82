"""Form fields about members, shared by the apps whose forms pick one."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser


class MemberChoiceField(forms.ModelChoiceField):
    """Picks a member, listed by username (the user model's __str__ could change)."""

    def label_from_instance(self, obj: AbstractBaseUser) -> str:
        return obj.get_username()
