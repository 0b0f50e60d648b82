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

from apps.accounts import audience
from apps.chat import services
from apps.chat.models import Preset
from apps.core import config

FIELDS = {"name", "role", "member", "prompt", "locked"}
# Only "is it text": the model's fields judge the length.
ANY_LENGTH = 100_000


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


def validate(items: list[Any], report: config.Report, document: dict[str, Any]) -> list[dict]:
    rows: list[dict] = []
    seen: dict[tuple[str, ...], int] = {}  # (name, "member" or "role", who): where it first is
    locked: dict[tuple[str, str], int] = {}  # ("member" or "role", who): where its locked preset is
    for index, item in enumerate(items):
        path = ("presets", index)
        if not config.check_keys(item, path, report, FIELDS, {"name", "prompt"}):
            continue
        role, member = audience.from_file(item, path, report, document)
        row: dict[str, Any] = {
            "name": config.text(item, "name", path, report, max_length=ANY_LENGTH),
            "role": role,
            "prompt": config.text(item, "prompt", path, report, max_length=ANY_LENGTH),
            "locked": config.flag(item, "locked", path, report, False),
        }
        existing = None
        if member is None or member.pk:
            existing = Preset.objects.filter(name=row["name"], role=role, member=member).first()
        preset = existing or Preset()
        for name, value in {**row, "member": member}.items():
            setattr(preset, name, value)
        config.model_errors(preset, path, report, exclude=["member"])
        # Within the file: the model's rules see the portal, not the file's other entries.
        who = ("member", member.get_username()) if member else ("role", role)
        key = (row["name"], *who)
        if key in seen:
            report.error(path, f"a second preset {row['name']!r} for the same {who[0]} (first at presets[{seen[key]}])")
        seen.setdefault(key, index)
        if row["locked"]:
            if who in locked:
                report.error(
                    (*path, "locked"), f"only one locked preset per {who[0]}; presets[{locked[who]}] is locked too"
                )
            locked.setdefault(who, index)
        rows.append({**row, "member": who[1] if member else None})
    return rows


def apply(rows: list[dict]) -> Counter:
    users = get_user_model().objects
    rows = [{**row, "member": users.get(username=row["member"]) if row["member"] else None} for row in rows]
    return config.upsert(Preset, rows, key=("name", "member", "role"), save=services.preset_save).counts


SECTION = config.Section(
    name="presets",
    order=60,
    export=export,
    validate=validate,
    apply=apply,
    help="System prompts the owner offers a role or a member in the chat.",
)
