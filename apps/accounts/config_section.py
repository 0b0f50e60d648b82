"""The `members` section of the config file. Passwords are never exported or imported:
a new member gets a sign-in link from Settings -> Members."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model

from apps.accounts import services
from apps.accounts.models import EMAIL_TAKEN, MEMBER_FIELDS, Member, MemberAccount, email_holders, username_problem
from apps.accounts.roles import Role, role_in_groups
from apps.core import config

User = get_user_model()
FIELDS = {"username", "email", "role", "active", "access_from", "access_until", "name"}
KEYS = {"first_name": "name", "is_active": "active"}  # model field -> key in the file
# Lengths and every other rule are the models'; this bound only keeps a pasted essay out of the messages.
_LONG = 10_000


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


def validate(items: list[Any], report: config.Report, document: dict[str, Any]) -> list[dict[str, Any]]:
    """Each entry becomes the member it describes (the existing one, changed only in the fields
    the file names, or a new one), judged by the members' own rules (services.member_check)."""
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
        known = len(report.errors)
        username = config.text(item, "username", path, report, max_length=_LONG)
        row: dict[str, Any] = {"username": username, "role": config.choice(item, "role", path, report, Role.values)}
        if "name" in item:
            row["first_name"] = config.text(item, "name", path, report, max_length=_LONG)
        if "email" in item:
            row["email"] = config.text(item, "email", path, report, max_length=_LONG)
        if "active" in item:
            row["is_active"] = config.flag(item, "active", path, report, True)
        for key in ("access_from", "access_until"):
            if key in item:
                row[key] = config.moment(item, key, path, report)
            elif row["role"] == Role.OWNER:  # owners have no window: making someone owner clears theirs
                row[key] = None
        if len(report.errors) == known and _judge(row, path, report, new_email):
            rows.append(row)
    # An import must not take away the last owner (owners the file does not name stay).
    owners = User.objects.filter(groups__name=Role.OWNER, is_active=True)
    named = {row["username"] for row in rows}
    kept = owners.exclude(username__in=named).count()
    active_owners = sum(1 for row in rows if row["role"] == Role.OWNER and row.get("is_active", True))
    if owners.exists() and kept + active_owners == 0:
        report.error(("members",), "the household needs at least one active owner")
    return rows


def _judge(row: dict[str, Any], path: config.Path, report: config.Report, new_email: dict[str, str]) -> bool:
    account = MemberAccount.objects.filter(username=row["username"]).first()
    if account is None:
        if problem := username_problem(row["username"]):
            report.error((*path, "username"), problem)
            return False
        account = MemberAccount(username=row["username"])
    for field, value in row.items():
        setattr(account, field, value)
    ok = config.model_errors(account, path, report, keys=KEYS, exclude=["username", "password"])
    ok = config.model_errors(account.window, path, report, exclude=["user"]) and ok
    # Sign-in by email needs each address to point at one member.
    holders = email_holders(account.email, account).values_list("username", flat=True)
    if any(new_email.get(holder, account.email.lower()) == account.email.lower() for holder in holders):
        report.error((*path, "email"), EMAIL_TAKEN)
        ok = False
    return ok


def _save(account: MemberAccount, fields: list[str] | None) -> None:
    services.member_save(user=account, **{field: getattr(account, field) for field in MEMBER_FIELDS})


def apply(rows: list[dict[str, Any]]) -> Counter:
    # Owners first, so handing the owner role from one member to another never leaves none.
    ordered = sorted(rows, key=lambda row: row["role"] != Role.OWNER)
    return config.upsert(MemberAccount, ordered, key="username", save=_save).counts


HELP = "People who may sign in, with their role and optional access window."
SECTION = config.Section(name="members", order=10, export=export, validate=validate, apply=apply, help=HELP)
