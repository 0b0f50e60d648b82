from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.accounts.roles import Role


class Member(models.Model):
    """What HomeOps knows about a user beyond Django's auth: the access window."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member")
    access_from = models.DateTimeField(null=True, blank=True, help_text="Sign-in works from this moment.")
    access_until = models.DateTimeField(null=True, blank=True, help_text="Sign-in and open sessions stop here.")

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.user.get_username()

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
    role = models.CharField(max_length=16, choices=Role.choices)
    email = models.EmailField(blank=True)
    # Set for a sign-in link to an existing member; empty for a new member.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    access_from = models.DateTimeField(null=True, blank=True)
    access_until = models.DateTimeField(null=True, blank=True)
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
        return f"{self.get_role_display()} invitation {self.email or self.pk}"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()
