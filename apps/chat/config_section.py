"""The `presets` section of the config file: system prompts the owner offers.

    presets:
      - name: Short answers
        role: family                 # or member: sam
        prompt: Answer in three sentences at most.
      - name: Homework helper
        member: sam
        prompt: Explain the steps; do not just give the answer.
        locked: true                 # always used; the member cannot change it

Upserted by name and who it is for; never deleted by an import.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model

from apps.accounts.roles import Role
from apps.chat.models import Preset
from apps.core import config

FIELDS = {"name", "role", "member", "prompt", "locked"}


def export() -> list[dict[str, Any]]:
    rows = []
    for preset in Preset.objects.select_related("member").order_by("name", "id"):
        row: dict[str, Any] = {"name": preset.name}
        row.update({"member": preset.member.get_username()} if preset.member is not None else {"role": preset.role})
        row["prompt"] = preset.prompt
        if preset.locked:
            row["locked"] = True
        rows.append(row)
    return rows


def _who(row: dict) -> tuple[str, str]:
    return ("member", row["member"]) if row["member"] else ("role", row["role"])


def validate(items: list[Any], report: config.Report, document: dict[str, Any]) -> list[dict]:
    users = get_user_model().objects
    members = {str(i.get("username")) for i in document.get("members") or [] if isinstance(i, dict)}
    members |= set(users.values_list("username", flat=True))
    rows: list[dict] = []
    seen: dict[tuple[str, ...], int] = {}
    locked: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        path = ("presets", index)
        if not config.check_keys(item, path, report, FIELDS, {"name", "prompt"}):
            continue
        row: dict[str, Any] = {
            "name": config.text(item, "name", path, report, max_length=100),
            "role": config.text(item, "role", path, report, max_length=16),
            "member": config.text(item, "member", path, report, max_length=150),
            "prompt": config.text(item, "prompt", path, report, max_length=4000),
            "locked": config.flag(item, "locked", path, report, False),
        }
        if bool(row["role"]) == bool(row["member"]):
            report.error(path, "give either role (owner, family, caretaker) or member (a username), not both")
        elif row["role"] and row["role"] not in Role.values:
            report.error((*path, "role"), f"must be one of {', '.join(Role.values)} (got {row['role']!r})")
        elif row["member"] and row["member"] not in members:
            report.error((*path, "member"), f"no member called {row['member']!r} in this file or the portal")
        if not row["name"] or not row["prompt"]:
            report.error(path, "name and prompt must not be empty")
        key = (row["name"], *_who(row))
        if key in seen:
            report.error(path, f"a second preset {row['name']!r} for the same {key[1]} (first at presets[{seen[key]}])")
        seen.setdefault(key, index)
        if row["locked"]:
            who = _who(row)
            if who in locked:
                report.error(
                    (*path, "locked"), f"only one locked preset per {who[0]}; presets[{locked[who]}] is locked too"
                )
            locked.setdefault(who, index)
            other = Preset.objects.filter(locked=True).exclude(name=row["name"])
            other = (
                other.filter(member__username=row["member"])
                if row["member"]
                else other.filter(role=row["role"], member=None)
            )
            taken = other.first()
            if taken is not None:
                report.error(
                    (*path, "locked"),
                    f"the portal already has a locked preset {taken.name!r} for this {who[0]}; unlock it first",
                )
        rows.append(row)
    return rows


def apply(rows: list[dict]) -> Counter:
    users = get_user_model().objects
    prepared = []
    for row in rows:
        member = users.get(username=row["member"]) if row["member"] else None
        prepared.append({**row, "member": member, "role": "" if member else row["role"]})
    return config.upsert(Preset, prepared, key=("name", "member", "role")).counts


SECTION = config.Section(
    name="presets",
    order=60,
    export=export,
    validate=validate,
    apply=apply,
    help="System prompts the owner offers a role or a member in the chat.",
)
