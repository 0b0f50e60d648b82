"""The `tasks` section of the config file: the household's maintenance rhythm.

    tasks:
      - title: Weekly look
        cadence: weekly              # weekly, monthly, quarterly, annually
        starts: 2026-12-07           # the first due day; later ones follow from it
        estimate_minutes: 5
        assignee: bob                # a member's username, or a role: owner, family, caretaker
        category: check              # check, update, backup, security, costs, review
        checklist: [Dashboard all green, Backups ran]
      - title: Patch review
        rrule: FREQ=MONTHLY;BYDAY=2TU    # instead of cadence: an RFC 5545 rule
        anchor: completion           # the next date counts from when it was done
        kind: patch_review           # plain, audit, model_update, patch_review
        runbook: patching            # a runbook's slug

Each entry is the whole definition (a field left out takes its default); import upserts by
title and never deletes. Every rule is the model's (MaintenanceTask.clean, through
config.model_errors), as on the task form.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model

from apps.accounts.roles import Role
from apps.core import config
from apps.maintenance import services
from apps.maintenance.models import Anchor, Cadence, MaintenanceTask, TaskKind

FIELDS = {
    "title",
    "description",
    "kind",
    "category",
    "cadence",
    "rrule",
    "anchor",
    "starts",
    "estimate_minutes",
    "runbook",
    "assignee",
    "checklist",
    "paused",
}
_LONG = 100_000  # only "is it text"; the model's fields judge the length
CHECKLIST_READ_LIMIT = 1000  # entries read before the model's own limit judges the list


def export() -> list[dict[str, Any]]:
    rows = []
    for task in MaintenanceTask.objects.select_related("assignee", "runbook").order_by("title", "pk"):
        row: dict[str, Any] = {"title": task.title}
        if task.description:
            row["description"] = task.description
        if task.kind != TaskKind.PLAIN:
            row["kind"] = task.kind
        row["category"] = task.category
        if task.cadence == Cadence.CUSTOM:
            row["rrule"] = task.rrule
        else:
            row["cadence"] = task.cadence
        if task.anchor != Anchor.SCHEDULE:
            row["anchor"] = task.anchor
        row["starts"] = task.starts.isoformat()
        row["estimate_minutes"] = task.estimate_minutes
        if task.runbook is not None:
            row["runbook"] = task.runbook.slug
        if task.assignee is not None:
            row["assignee"] = task.assignee.get_username()
        elif task.assignee_role:
            row["assignee"] = task.assignee_role
        if task.checklist_items:
            row["checklist"] = task.checklist_items
        if task.paused:
            row["paused"] = True
        rows.append(row)
    return rows


def _checklist(item: dict, path: tuple, report: config.Report) -> list[str]:
    value = item.get("checklist")
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > CHECKLIST_READ_LIMIT:
        report.error((*path, "checklist"), "must be a list of items, like [Backups ran, Disks healthy]")
        return []
    items = []
    for index, entry in enumerate(value):
        if not isinstance(entry, str | int | float) or isinstance(entry, bool):
            report.error((*path, "checklist", index), "must be text")
            continue
        items.append(str(entry).strip())
    return items


def _assignee(item: dict, path: tuple, report: config.Report, document: dict) -> tuple[Any, str]:
    """(member, role): a role's name is a role, anything else a member's username (in the
    portal, or created by this same file's `members` section: an unsaved user stands for it)."""
    name = config.text(item, "assignee", path, report, max_length=150)
    if not name:
        return None, ""
    if name in Role.values:
        return None, name
    users = get_user_model().objects
    found = users.filter(username=name).first()
    if found is not None:
        return found, ""
    in_file = {str(i.get("username")) for i in document.get("members") or [] if isinstance(i, dict)}
    if name not in in_file:
        roles = ", ".join(Role.values)
        report.error((*path, "assignee"), f"no member called {name!r} in this file or the portal (or a role: {roles})")
    return get_user_model()(username=name), ""


def _runbook(item: dict, path: tuple, report: config.Report, document: dict) -> tuple[Any, str]:
    from apps.runbooks.models import Runbook

    slug = config.text(item, "runbook", path, report, max_length=200)
    if not slug:
        return None, ""
    found = Runbook.objects.filter(slug=slug).first()
    in_file = {str(i.get("slug")) for i in document.get("runbooks") or [] if isinstance(i, dict)}
    if found is None and slug not in in_file:
        report.error((*path, "runbook"), f"no runbook with the address {slug!r} in this file or the portal")
    return found, slug


def validate(items: list[Any], report: config.Report, document: dict[str, Any]) -> list[dict[str, Any]]:
    config.duplicates(items, "title", "tasks", report)
    rows = []
    for index, item in enumerate(items):
        path = ("tasks", index)
        if not config.check_keys(item, path, report, FIELDS, {"title", "starts"}):
            continue
        rule = config.field_text(item, "rrule", path, report)
        cadence = item.get("cadence", Cadence.CUSTOM if rule else config.field_default(MaintenanceTask, "cadence"))
        member, role = _assignee(item, path, report, document)
        runbook, slug = _runbook(item, path, report, document)
        row: dict[str, Any] = {
            "title": config.field_text(item, "title", path, report),
            "description": config.text(item, "description", path, report, max_length=_LONG),
            "kind": item.get("kind", TaskKind.PLAIN),
            "category": item.get("category", config.field_default(MaintenanceTask, "category")),
            "cadence": cadence,
            "rrule": rule,
            "anchor": item.get("anchor", Anchor.SCHEDULE),
            "starts": config.day(item, "starts", path, report, required=True),
            "estimate_minutes": config.number(
                item, "estimate_minutes", path, report, config.field_default(MaintenanceTask, "estimate_minutes")
            ),
            "assignee_role": role,
            "checklist": _checklist(item, path, report),
            "paused": config.flag(item, "paused", path, report, False),
        }
        task = MaintenanceTask(**row)
        task.assignee = member if member is not None and member.pk else None
        # Checked above: the member and the runbook (which this same file may create), a missing start.
        checked_here = ["assignee", "runbook"] + (["starts"] if row["starts"] is None else [])
        config.model_errors(task, path, report, exclude=checked_here)
        rows.append({**row, "assignee": member.get_username() if member is not None else None, "runbook": slug})
    return rows


def apply(rows: list[dict[str, Any]]) -> Counter:
    from apps.runbooks.models import Runbook

    users = get_user_model().objects
    resolved = [
        {
            **row,
            "assignee": users.get(username=row["assignee"]) if row["assignee"] else None,
            "runbook": Runbook.objects.get(slug=row["runbook"]) if row["runbook"] else None,
        }
        for row in rows
    ]
    return config.upsert(MaintenanceTask, resolved, key="title", save=services.task_save).counts


SECTION = config.Section(
    name="tasks",
    order=70,
    export=export,
    validate=validate,
    apply=apply,
    help="The maintenance rhythm: recurring tasks, who does them and when.",
)
