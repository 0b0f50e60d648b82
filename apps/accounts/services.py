"""Writes for members and invitations. Views, commands and the config importer call these."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from apps.accounts.models import Invitation, Member, hash_token, username_problem
from apps.accounts.roles import Role

if TYPE_CHECKING:  # mypy needs a class; get_user_model() gives the same one (settings.AUTH_USER_MODEL)
    from django.contrib.auth.models import User
else:
    User = get_user_model()


def groups_ensure() -> None:
    for role in Role:
        Group.objects.get_or_create(name=role.value)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def owners() -> QuerySet[User]:
    return User.objects.filter(groups__name=Role.OWNER, is_active=True)


def owner_count() -> int:
    return owners().count()


def member_set_role(*, user: User, role: Role | str) -> None:
    role = Role(role)
    if role != Role.OWNER and user.groups.filter(name=Role.OWNER).exists() and owner_count() <= 1:
        raise ValidationError("The household needs at least one owner: make someone else owner first.")
    user.groups.set([Group.objects.get_or_create(name=role.value)[0]])
    if hasattr(user, "_homeops_role"):
        del user._homeops_role


def member_check(user: User, member: Member) -> None:
    """The member's own rules (Django's for the user's fields, Member's for the window, and
    the username rule for a new member); raises one ValidationError by field."""
    errors: dict = {}
    if not user.pk and (problem := username_problem(user.username)):
        errors["username"] = [problem]
    for instance, exclude in ((user, ["username", "password"]), (member, ["user"])):
        try:
            instance.full_clean(exclude=exclude, validate_unique=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def member_save(
    *,
    username: str,
    role: Role | str,
    email: str = "",
    password: str | None = None,
    access_from: datetime | None = None,
    access_until: datetime | None = None,
    is_active: bool = True,
    first_name: str | None = None,
    user: User | None = None,
) -> User:
    """Create or update a member, from every door: Settings, invitations, the config file and
    the commands. `password=None` keeps the current password (or none); `first_name=None`
    keeps the name."""
    if user is None:
        user = User.objects.filter(username=username).first() or User(username=username)
    if not is_active and user.pk and user.groups.filter(name=Role.OWNER).exists() and owner_count() <= 1:
        raise ValidationError("The household needs at least one active owner.")
    user.username, user.email, user.is_active = username, email, is_active
    if first_name is not None:
        user.first_name = first_name
    member = (Member.objects.filter(user=user).first() if user.pk else None) or Member(user=user)
    member.role, member.access_from, member.access_until = Role(role), access_from, access_until
    member_check(user, member)
    if password is not None:
        user.set_password(password)
    elif not user.pk:
        user.set_unusable_password()
    user.save()
    member.user = user
    member.save()
    member_set_role(user=user, role=role)
    return user


def invitation_create(
    *,
    role: Role | str,
    created_by: User | None,
    email: str = "",
    user: User | None = None,
    access_from: datetime | None = None,
    access_until: datetime | None = None,
    name: str = "",
    note: str = "",
) -> tuple[Invitation, str]:
    """Returns the invitation and its token; the token is not stored and cannot be shown again.
    A new sign-in link for an existing member replaces the older open ones."""
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=hash_token(token),
        name=name,
        note=note,
        role=Role(role),
        email=email,
        user=user,
        access_from=access_from,
        access_until=access_until,
        created_by=created_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
    )
    invitation.full_clean(exclude=["user", "created_by"])
    if user is not None:
        Invitation.objects.filter(user=user, accepted_at=None, revoked_at=None).update(revoked_at=timezone.now())
    invitation.save()
    return invitation, token


def invitation_find(token: str) -> Invitation | None:
    invitation = Invitation.objects.select_related("user").filter(token_hash=hash_token(token)).first()
    if invitation is None or not invitation.is_usable:
        return None
    if invitation.user is not None and not invitation.user.is_active:
        return None  # the owner has since stopped this member signing in
    return invitation


def invitation_revoke(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, revoked_at=None).update(revoked_at=timezone.now())


@transaction.atomic
def invitation_accept(*, invitation: Invitation, username: str, password: str, first_name: str = "") -> User:
    # Claim the invitation with a conditional UPDATE so a double submit cannot use it twice.
    claimed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).update(accepted_at=timezone.now())
    if claimed != 1:
        raise ValidationError("This invitation has already been used or has expired.")
    if invitation.user is not None:  # no query when user_id is None
        user = invitation.user
        user.set_password(password)
        user.save(update_fields=["password"])
        return user
    return member_save(
        username=username,
        role=invitation.role,
        email=invitation.email,
        password=password,
        access_from=invitation.access_from,
        access_until=invitation.access_until,
        first_name=first_name.strip() or invitation.name,
    )


def invitation_email(invitation: Invitation, link: str) -> bool:
    """Email the sign-in link, when email is set up and the invitation has an address; True
    when it went. A mail server that refuses raises OSError: the caller says so and shows the
    link to copy instead (the members page and the handover form)."""
    if not (settings.EMAIL_CONFIGURED and invitation.email):
        return False
    body = render_to_string(
        "accounts/email/invitation.txt",
        {"link": link, "invitation": invitation, "household": settings.HOUSEHOLD_NAME},
    )
    send_mail(f"Your sign-in link for {settings.HOUSEHOLD_NAME}", body, None, [invitation.email])
    return True
