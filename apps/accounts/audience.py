"""Rows that are for everyone with a role, or for one member: never both, never nobody.

The gateway's Policy and the chat's Preset are such rows. The rule lives here, with the
roles, so both apps (and their Settings forms and configuration-file sections, which run the
model's full_clean) say the same words. A module of its own rather than roles.py: roles.py
holds no model classes, so that asking can(user, ...) never needs the app registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from apps.accounts.roles import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import User  # settings.AUTH_USER_MODEL

BOTH = "Choose a role or a member, not both."


class ForRoleOrMember(models.Model):
    """Each model declares its own `member` (a ForeignKey or OneToOneField to the user with
    null=True, blank=True: the related name and the on-delete rule are its own) and its
    `noun` ("policy", "preset") for the messages."""

    role = models.CharField(
        max_length=16,
        blank=True,
        choices=Role.choices,
        error_messages={"invalid_choice": f"must be one of {', '.join(Role.values)} (got %(value)r)"},
    )
    noun = "row"
    # Declared by each concrete model (above); named here for the type checker.
    member_id: int | None
    member: User | None

    class Meta:
        abstract = True

    @property
    def has_member(self) -> bool:
        # A member that a configuration file creates is not saved yet when the file is
        # validated: the section sets an unsaved user, which has no id.
        return self.member_id is not None or self.member is not None

    def clean(self) -> None:
        super().clean()
        if self.role and self.has_member:
            raise ValidationError({"role": BOTH})
        if not self.role and not self.has_member:
            raise ValidationError({"role": f"Choose who this {self.noun} is for: a role or a member."})

    @staticmethod
    def one_audience(name: str) -> models.CheckConstraint:
        """The same rule in the database, for writes that skip full_clean."""
        return models.CheckConstraint(
            condition=(Q(member__isnull=True) & ~Q(role="")) | (Q(member__isnull=False) & Q(role="")),
            name=name,
            violation_error_message="For a role or for one member.",
        )


def from_file(item: dict, path: tuple, report, document: dict) -> tuple[str, Any]:
    """The `role` and `member` of a configuration-file entry, as the model's field values: the
    role as written (the model judges it), the member as a user. A member that this same file
    creates (its `members` section) is not saved yet: an unsaved user stands for it, so the
    model's rule still sees that the entry names a member. A name found in neither place is
    reported here."""
    from apps.core import config

    users = get_user_model().objects
    role = config.text(item, "role", path, report)
    name = config.text(item, "member", path, report)
    if not name:
        return role, None
    found = users.filter(username=name).first()
    if found is not None:
        return role, found
    in_file = {str(i.get("username")) for i in document.get("members") or [] if isinstance(i, dict)}
    if name not in in_file:
        report.error((*path, "member"), f"no member called {name!r} in this file or the portal")
    return role, get_user_model()(username=name)
