from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import get_user_model, password_validation

from apps.accounts.roles import ROLE_HELP, Role

User = get_user_model()


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


# The mixin goes before a Form or ModelForm; mypy checks it as one.
if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class WindowFormMixin(_FormBase):
    """access_from / access_until, both optional, the end after the start."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("access_from"), data.get("access_until")
        if start and end and end <= start:
            self.add_error("access_until", "Access must end after it starts.")
        if data.get("role") == Role.OWNER and (start or end):
            self.add_error("access_until", "Owners have no access window: it could lock the household out.")
        return data


def _window_fields() -> tuple[forms.DateTimeField, forms.DateTimeField]:
    return (
        forms.DateTimeField(
            required=False, widget=DateTimeLocalInput(), help_text="Optional. Sign-in works from this moment."
        ),
        forms.DateTimeField(
            required=False,
            widget=DateTimeLocalInput(),
            help_text="Optional. Sign-in stops, and open sessions end, at this moment.",
        ),
    )


def _role_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=[(r.value, f"{r.label}: {ROLE_HELP[r]}") for r in Role],
        widget=forms.RadioSelect,
        initial=Role.FAMILY.value,
    )


def _email_free(email: str, user=None) -> str:
    """Sign-in by email needs each address to belong to one member."""
    taken = User.objects.filter(email__iexact=email)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if email and taken.exists():
        raise forms.ValidationError("Another member already uses this address.")
    return email


class InviteForm(WindowFormMixin, forms.Form):
    email = forms.EmailField(
        required=False, help_text="Optional. With email set up, the link is sent there; you can always copy it."
    )
    role = _role_field()
    access_from, access_until = _window_fields()

    def clean_email(self) -> str:
        return _email_free(self.cleaned_data["email"])


class MemberForm(WindowFormMixin, forms.Form):
    first_name = forms.CharField(label="Name", required=False, max_length=150)
    email = forms.EmailField(required=False)
    role = _role_field()
    access_from, access_until = _window_fields()
    is_active = forms.BooleanField(label="May sign in", required=False)

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        return _email_free(self.cleaned_data["email"], self.user)


class AcceptForm(forms.Form):
    username = forms.CharField(max_length=150, validators=[User.username_validator])
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, existing_user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.existing_user = existing_user
        if existing_user is not None:
            self.fields["username"].initial = existing_user.username
            self.fields["username"].disabled = True

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if self.existing_user is None and User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken. Pick another.")
        return username

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            probe = self.existing_user or User(username=data.get("username", ""))
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data
