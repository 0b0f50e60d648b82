"""A member is a user (username, name, email, may sign in), a role (the user's group) and an
access window (Member). These models are the one definition of a member and an invitation:
field validators, clean() and the rules below, which the Settings forms, the `members` section
of the config file, the commands and the services all apply.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from apps.accounts.roles import Role, role_in_groups

# What a member is, across its three tables: the user's fields, the role (the user's group) and
# the window (Member). services.member_save takes them by these names.
MEMBER_FIELDS = ["username", "first_name", "email", "is_active", "role", "access_from", "access_until"]
WINDOW_ORDER = "Access must end after it starts: make the end later than the start."
# An owner locked out by a window could only get back in from the shell.
OWNER_WINDOW = "Owners have no access window: it could lock the household out."
EMAIL_TAKEN = "Another member already uses this address."  # sign-in by email needs one member an address
USERNAME_TAKEN = "That username is taken. Pick another."
USERNAME_CHARACTERS = "letters, digits and @ . + - _ only"
MOMENT_WORDS = "Write a day and a time, like 2027-08-01 09:00, or leave it empty."
MOMENT = {"invalid": MOMENT_WORDS, "invalid_date": MOMENT_WORDS, "invalid_datetime": MOMENT_WORDS}


def window_errors(role: str | None, access_from: datetime | None, access_until: datetime | None) -> dict[str, str]:
    """The access window's rules, by field: the end after the start, and none for owners."""
    if access_from and access_until and access_until <= access_from:
        return {"access_until": WINDOW_ORDER}
    if role == Role.OWNER and (access_from or access_until):
        return {"access_from" if access_from else "access_until": OWNER_WINDOW}
    return {}


def username_problem(username: str) -> str | None:
    """Why a new member cannot have this username, None when they can: Django's rule for
    usernames, in plain words, and no other member's name in any case. Every door that
    creates a member (invitation, config file, add_member) asks this."""
    users = get_user_model()
    try:
        users._meta.get_field("username").clean(username, None)
    except ValidationError as exc:
        return USERNAME_CHARACTERS if any(e.code == "invalid" for e in exc.error_list) else " ".join(exc.messages)
    if users.objects.filter(username__iexact=username).exists():
        return USERNAME_TAKEN
    return None


def email_holders(email: str, user: models.Model | None = None) -> models.QuerySet:
    """Other members who use this address (in any case)."""
    if not email:
        return get_user_model().objects.none()
    holders = get_user_model().objects.filter(email__iexact=email)
    return holders.exclude(pk=user.pk) if user is not None and user.pk is not None else holders


class Member(models.Model):
    """What HomeOps knows about a user beyond Django's auth: the access window."""

    # Not stored here (the user's group holds it): the role the member has or is being given,
    # by which clean() judges the window. Left empty, the user's current role counts.
    role: str = ""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member")
    access_from = models.DateTimeField(
        null=True, blank=True, help_text="Sign-in works from this moment.", error_messages=MOMENT
    )
    access_until = models.DateTimeField(
        null=True, blank=True, help_text="Sign-in and open sessions stop here.", error_messages=MOMENT
    )

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.user.get_username()

    def clean(self) -> None:
        role = self.role or (role_in_groups(self.user) if self.user_id else None)
        if errors := window_errors(role, self.access_from, self.access_until):
            raise ValidationError(errors)

    def window_state(self, now: datetime | None = None) -> str:
        """'before', 'open' or 'after' the access window."""
        now = now or timezone.now()
        if self.access_from and now < self.access_from:
            return "before"
        if self.access_until and now >= self.access_until:
            return "after"
        return "open"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A one-time link that creates a member (or sets the password of an existing one).

    Only the SHA-256 of the token is stored: the link itself is shown once.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    # Who it is for and why, so two open invitations of one role can be told apart; the name
    # is offered as the new member's display name.
    name = models.CharField(max_length=150, blank=True, help_text="Who it is for, e.g. Charlie.")
    note = models.CharField(max_length=300, blank=True, help_text="For you: e.g. looks after the cat in August.")
    role = models.CharField(max_length=16, choices=Role.choices)
    # The words for a wrong address are EmailValidator's, set once for every form, page and the
    # file in apps/core/apps.py (a member's address is auth.User's field, not ours to word).
    email = models.EmailField(blank=True)
    # Set for a sign-in link to an existing member; empty for a new member.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    access_from = models.DateTimeField(null=True, blank=True, error_messages=MOMENT)
    access_until = models.DateTimeField(null=True, blank=True, error_messages=MOMENT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} invitation {self.name or self.email or self.pk}"

    def clean(self) -> None:
        errors = window_errors(self.role, self.access_from, self.access_until)
        if self.user_id is None and email_holders(self.email).exists():  # a new member's address
            errors["email"] = EMAIL_TAKEN
        if errors:
            raise ValidationError(errors)

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class _WindowEnd:
    """One end of the access window, read and set on the account's Member row."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, account: MemberAccount | None, owner: type | None = None) -> Any:
        return self if account is None else getattr(account.window, self.name)

    def __set__(self, account: MemberAccount, value: datetime | None) -> None:
        setattr(account.window, self.name, value)


class MemberAccount(User):
    """A user seen as a member: role and access window read and set like fields, so that the
    config file's upsert compares and writes a member as one row (through services.member_save)."""

    class Meta:
        proxy = True

    @property
    def window(self) -> Member:
        if "_window" not in self.__dict__:
            found = Member.objects.filter(user=self).first() if self.pk else None
            self._window = found or Member(user=self)
        return self._window

    @property
    def role(self) -> str | None:
        if "_role" not in self.__dict__:
            self._role: str | None = role_in_groups(self) if self.pk else None
        return self._role

    @role.setter
    def role(self, value: str | None) -> None:
        self._role = value
        self.window.role = value or ""

    access_from = _WindowEnd()
    access_until = _WindowEnd()
