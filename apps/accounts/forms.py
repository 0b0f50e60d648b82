"""Member and invitation forms: presentation only. The rules are the models' (apps/accounts/
models.py): a ModelForm runs them, and services.member_save runs them again for every door."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation

from apps.accounts.models import EMAIL_TAKEN, Invitation, Member, email_holders, username_problem
from apps.accounts.roles import ROLE_HELP, Role
from apps.core.forms import model_words

User = get_user_model()
WINDOW_HELP = {
    "access_from": "Optional. Sign-in works from this moment.",
    "access_until": "Optional. Sign-in stops, and open sessions end, at this moment.",
}


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


def _role_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=[(r.value, f"{r.label}: {ROLE_HELP[r]}") for r in Role],
        widget=forms.RadioSelect,
        initial=Role.FAMILY.value,
        error_messages={
            "required": "Choose a role: what they may see and do.",
            "invalid_choice": "Choose one of the roles listed.",
        },
    )


class WindowMeta:
    fields = ["access_from", "access_until"]
    widgets = {"access_from": DateTimeLocalInput(), "access_until": DateTimeLocalInput()}
    help_texts = WINDOW_HELP


class InviteForm(forms.ModelForm):
    role = _role_field()

    class Meta(WindowMeta):
        model = Invitation
        fields = ["name", "note", "email", "role", *WindowMeta.fields]
        labels = {"name": "Name", "note": "Note"}
        help_texts = {
            "name": "Who it is for, e.g. Charlie. They can change it when they accept.",
            "note": "For you, to tell invitations apart: e.g. looks after the cat in August.",
            "email": "Optional. With email set up, the link is sent there; you can always copy it.",
            **WINDOW_HELP,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_words(self)


class MemberForm(forms.ModelForm):
    """The window is Member's; name, address and "may sign in" are the user's fields, the role
    the user's group. The window is judged by the role chosen on this same form."""

    first_name = User._meta.get_field("first_name").formfield(label="Name")
    email = User._meta.get_field("email").formfield()
    role = _role_field()
    is_active = forms.BooleanField(label="May sign in", required=False)

    class Meta(WindowMeta):
        model = Member
        fields = ["first_name", "email", "role", *WindowMeta.fields, "is_active"]

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        model_words(self)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email_holders(email, self.user).exists():
            raise forms.ValidationError(EMAIL_TAKEN)
        return email

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        self.instance.role = data.get("role", "")
        return data


class AcceptForm(forms.Form):
    first_name = User._meta.get_field("first_name").formfield(
        label="Your name", required=False, help_text="How the portal greets you, e.g. Charlie."
    )
    username = forms.CharField(help_text="For signing in: letters, digits and . @ + - _")
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
            del self.fields["first_name"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if self.existing_user is None and (problem := username_problem(username)):
            raise forms.ValidationError(problem)
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
