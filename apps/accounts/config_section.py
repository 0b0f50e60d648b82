"""The `members` section of the config file. Passwords are never exported or imported:
a new member gets a sign-in link from Settings -> Members."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from apps.accounts import services
from apps.accounts.models import Member
from apps.accounts.roles import Role, role_in_groups
from apps.core import config

User = get_user_model()
FIELDS = {"username", "email", "role", "active", "access_from", "access_until", "name"}


@dataclass(frozen=True)
class MemberRow:
    """One member as the file gives it. `given` holds only the fields the file names:
    on an existing member, a field left out keeps its current value."""

    username: str
    role: str
    given: dict[str, Any]


def export() -> list[dict[str, Any]]:
    rows = []
    for user in User.objects.select_related("member").prefetch_related("groups").order_by("username"):
        role = role_in_groups(user)
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
    config.duplicates(items, "email", "members", report, fold_case=True)
    # Where the file moves an address from one member to another, the file is what counts.
    new_email = {
        str(i.get("username")): str(i.get("email") or "").lower() for i in items if isinstance(i, dict) and "email" in i
    }
    for index, item in enumerate(items):
        path = ("members", index)
        if not config.check_keys(item, path, report, FIELDS, {"username", "role"}):
            continue
        username = config.text(item, "username", path, report, max_length=150)
        try:
            User.username_validator(username)
        except ValidationError:
            report.error((*path, "username"), "letters, digits and @ . + - _ only")
        role = config.choice(item, "role", path, report, [r.value for r in Role])
        given: dict[str, Any] = {}
        if "name" in item:
            given["first_name"] = config.text(item, "name", path, report, max_length=150)
        if "email" in item:
            given["email"] = _email(item, path, report, username, new_email)
        if "active" in item:
            given["is_active"] = config.flag(item, "active", path, report, True)
        for key in ("access_from", "access_until"):
            if key in item:
                given[key] = config.moment(item, key, path, report)
        start, end = given.get("access_from"), given.get("access_until")
        if start and end and end <= start:
            report.error((*path, "access_until"), "must be after access_from")
        if role == Role.OWNER and (start or end):
            report.error(path, "owners have no access window: it could lock the household out")
        rows.append(MemberRow(username=username, role=role, given=given))
    # An import must not take away the last owner (owners the file does not name stay).
    owners = User.objects.filter(groups__name=Role.OWNER, is_active=True)
    named = {row.username for row in rows}
    kept = owners.exclude(username__in=named).count()
    if owners.exists() and kept + sum(1 for r in rows if r.role == Role.OWNER and r.given.get("is_active", True)) == 0:
        report.error(("members",), "the household needs at least one active owner")
    return rows


def _email(item: dict, path: config.Path, report: config.Report, username: str, new_email: dict[str, str]) -> str:
    email = config.text(item, "email", path, report, max_length=254)
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        report.error((*path, "email"), "not an email address")
        return email
    # Sign-in by email needs each address to point at one member.
    holders = User.objects.filter(email__iexact=email).exclude(username=username).values_list("username", flat=True)
    if any(new_email.get(holder, email.lower()) == email.lower() for holder in holders):
        report.error((*path, "email"), "another member already uses this address")
    return email


def apply(rows: list[MemberRow]) -> Counter:
    counts: Counter = Counter(created=0, updated=0, unchanged=0)
    # Owners first, so handing the owner role from one member to another never leaves none.
    for row in sorted(rows, key=lambda r: r.role != Role.OWNER):
        user = User.objects.filter(username=row.username).select_related("member").first()
        before = _snapshot(user)
        member = getattr(user, "member", None) if user else None
        current = {
            "email": user.email if user else "",
            "is_active": user.is_active if user else True,
            "access_from": member.access_from if member else None,
            "access_until": member.access_until if member else None,
        }
        if row.role == Role.OWNER:  # owners have no window: making someone owner clears theirs
            current.update(access_from=None, access_until=None)
        values = {**current, **{k: v for k, v in row.given.items() if k != "first_name"}}
        user = services.member_save(user=user, username=row.username, role=row.role, **values)
        if "first_name" in row.given and user.first_name != row.given["first_name"]:
            user.first_name = row.given["first_name"]
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
