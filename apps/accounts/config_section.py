"""The `members` section of the config file. Passwords are never exported or imported:
a new member gets a sign-in link from Settings -> Members."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from apps.accounts import services
from apps.accounts.models import Member
from apps.accounts.roles import Role, role_of
from apps.core import config

User = get_user_model()
FIELDS = {"username", "email", "role", "active", "access_from", "access_until", "name"}


@dataclass(frozen=True)
class MemberRow:
    username: str
    name: str
    email: str
    role: str
    active: bool
    access_from: datetime | None
    access_until: datetime | None


def export() -> list[dict[str, Any]]:
    rows = []
    for user in User.objects.select_related("member").prefetch_related("groups").order_by("username"):
        role = (
            role_of(user)
            if user.is_active
            else next((r for r in Role if r.value in {g.name for g in user.groups.all()}), None)
        )
        if role is None:
            continue
        member = getattr(user, "member", None) or Member(user=user)
        row: dict[str, Any] = {"username": user.username, "role": role.value}
        if user.first_name:
            row["name"] = user.first_name
        if user.email:
            row["email"] = user.email
        if not user.is_active:
            row["active"] = False
        if member.access_from:
            row["access_from"] = config.moment_text(member.access_from)
        if member.access_until:
            row["access_until"] = config.moment_text(member.access_until)
        rows.append(row)
    return rows


def validate(items: list[Any], report: config.Report, document: dict[str, Any]) -> list[MemberRow]:
    rows = []
    config.duplicates(items, "username", "members", report)
    for index, item in enumerate(items):
        path = ("members", index)
        if not config.check_keys(item, path, report, FIELDS, {"username", "role"}):
            continue
        username = config.text(item, "username", path, report, max_length=150)
        try:
            User.username_validator(username)
        except ValidationError:
            report.error((*path, "username"), "letters, digits and @ . + - _ only")
        email = config.text(item, "email", path, report, max_length=254)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                report.error((*path, "email"), "not an email address")
        row = MemberRow(
            username=username,
            name=config.text(item, "name", path, report, max_length=150),
            email=email,
            role=config.choice(item, "role", path, report, [r.value for r in Role]),
            active=config.flag(item, "active", path, report, True),
            access_from=config.moment(item, "access_from", path, report),
            access_until=config.moment(item, "access_until", path, report),
        )
        if row.access_from and row.access_until and row.access_until <= row.access_from:
            report.error((*path, "access_until"), "must be after access_from")
        rows.append(row)
    # The household must keep an owner: owners not named in the file stay as they are.
    named = {row.username for row in rows}
    kept = User.objects.filter(groups__name=Role.OWNER, is_active=True).exclude(username__in=named).count()
    if kept + sum(1 for r in rows if r.role == Role.OWNER and r.active) == 0:
        report.error(("members",), "the household needs at least one active owner")
    return rows


def apply(rows: list[MemberRow]) -> Counter:
    counts: Counter = Counter(created=0, updated=0, unchanged=0)
    for row in rows:
        user = User.objects.filter(username=row.username).select_related("member").first()
        before = _snapshot(user)
        user = services.member_save(
            user=user,
            username=row.username,
            role=row.role,
            email=row.email,
            access_from=row.access_from,
            access_until=row.access_until,
            is_active=row.active,
        )
        if user.first_name != row.name:
            user.first_name = row.name
            user.save(update_fields=["first_name"])
        after = _snapshot(User.objects.select_related("member").get(pk=user.pk))
        counts["created" if before is None else ("unchanged" if before == after else "updated")] += 1
    return counts


def _snapshot(user) -> tuple | None:
    if user is None:
        return None
    member = getattr(user, "member", None)
    return (
        user.email,
        user.first_name,
        user.is_active,
        tuple(sorted(user.groups.values_list("name", flat=True))),
        member.access_from if member else None,
        member.access_until if member else None,
    )


SECTION = config.Section(
    name="members",
    order=10,
    export=export,
    validate=validate,
    apply=apply,
    help="People who may sign in, with their role and optional access window.",
)
