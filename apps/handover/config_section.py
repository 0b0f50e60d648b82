"""The `contacts` and `handovers` sections of the config file.

    contacts:
      - name: Fibernet support
        role: ISP
        phone: +49 30 555 0100
        email: help@fibernet.example
        notes: Contract number is on the router's sticker.
        order: 10
    handovers:
      - title: Christmas 2026
        starts: 2026-12-20 09:00
        ends: 2027-01-04 12:00
        caretakers: [charlie]           # members with the caretaker role (here or in `members`)
        welcome: |                      # Markdown
          Thank you for looking after the house!
        checks: Look at the status board on Sundays.
        runbooks: [restart-ollama]      # key runbooks by slug, in order
        if_then:
          - when: The power goes out
            do: Wait ten minutes; if it stays out, call the electrician.
            runbook: ups-on-battery     # optional

Contacts are upserted by name, handovers by title; an import never deletes. A handover's
caretakers get its dates as their access window, as on the Settings page.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations
from typing import Any

from django.contrib.auth import get_user_model

from apps.accounts.roles import Role
from apps.core import config
from apps.handover import services
from apps.handover.models import Contact, Handover, IfThen
from apps.runbooks.models import Runbook

CONTACT_FIELDS = ["name", "role", "phone", "email", "notes", "order"]
HANDOVER_FIELDS = {"title", "starts", "ends", "caretakers", "welcome", "checks", "runbooks", "if_then"}
PLAIN = ["title", "starts", "ends", "welcome", "checks"]
IF_THEN_FIELDS = {"when", "do", "runbook"}
MAX_ROWS = 100  # a handover's lists (caretakers, runbooks, if_then): far above any household's


# --- contacts ------------------------------------------------------------------------------


def export_contacts() -> list[dict[str, Any]]:
    rows = []
    for contact in Contact.objects.all():
        row: dict[str, Any] = {"name": contact.name, "role": contact.role}
        for name in ("phone", "email", "notes"):
            if getattr(contact, name):
                row[name] = getattr(contact, name)
        row["order"] = contact.order
        rows.append(row)
    return rows


def validate_contacts(items: list[Any], report: config.Report, document: dict[str, Any]) -> list[dict[str, Any]]:
    config.duplicates(items, "name", "contacts", report)
    rows = []
    for index, item in enumerate(items):
        path = ("contacts", index)
        if not config.check_keys(item, path, report, set(CONTACT_FIELDS), {"name", "role"}):
            continue
        known = len(report.errors)
        contact = Contact()
        for name in ("name", "role", "phone", "email", "notes"):
            setattr(contact, name, config.field_text(item, name, path, report))
        contact.order = config.number(item, "order", path, report, config.field_default(Contact, "order"))
        if len(report.errors) == known and config.model_errors(contact, path, report):
            rows.append({name: getattr(contact, name) for name in CONTACT_FIELDS})
    return rows


def apply_contacts(rows: list[dict[str, Any]]) -> Counter:
    return config.upsert(Contact, rows, save=services.contact_save).counts


# --- handovers -----------------------------------------------------------------------------


def export_handovers() -> list[dict[str, Any]]:
    rows = []
    for handover in Handover.objects.order_by("starts", "id"):
        row: dict[str, Any] = {
            "title": handover.title,
            "starts": config.moment_text(handover.starts),
            "ends": config.moment_text(handover.ends),
            "caretakers": [u.get_username() for u in handover.caretakers.order_by("username")],
        }
        if handover.welcome:
            row["welcome"] = handover.welcome
        if handover.checks:
            row["checks"] = handover.checks
        row["runbooks"] = [hr.runbook.slug for hr in handover.key_runbooks.select_related("runbook")]
        row["if_then"] = [_if_then_export(r) for r in handover.if_then.select_related("runbook")]
        rows.append(row)
    return rows


def _if_then_export(row: IfThen) -> dict[str, Any]:
    out: dict[str, Any] = {"when": row.when, "do": row.do}
    if row.runbook is not None:
        out["runbook"] = row.runbook.slug
    return out


def _names(item: dict, key: str, path: config.Path, report: config.Report) -> list[str]:
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        report.error((*path, key), "must be a list of names, like [charlie]")
        return []
    if len(value) > MAX_ROWS:
        report.error((*path, key), f"more than {MAX_ROWS} entries")
        return []
    return value


def _caretakers(names: list[str], path: config.Path, report: config.Report, document: dict[str, Any]) -> list[str]:
    """Each name is a member with the caretaker role: in this file's `members` (which the import
    applies first) or, when the file does not name them, in the portal."""
    in_file = {str(m.get("username")): m.get("role") for m in document.get("members") or [] if isinstance(m, dict)}
    users = {u.get_username(): u for u in get_user_model().objects.filter(username__in=names)}
    good = []
    for index, name in enumerate(names):
        if name in in_file:
            role = in_file[name]
        elif name in users:
            role = "other" if Handover.caretaker_problems([users[name]]) else Role.CARETAKER
        else:
            report.error((*path, "caretakers", index), f"no member called {name!r} in this file or the portal")
            continue
        if role != Role.CARETAKER:
            report.error(
                (*path, "caretakers", index), f"{name} is not a caretaker: only members with the caretaker role"
            )
            continue
        good.append(name)
    return good


def _runbook(slug: Any, where: config.Path, report: config.Report, document: dict[str, Any]) -> str | None:
    in_file = {str(r.get("slug")) for r in document.get("runbooks") or [] if isinstance(r, dict)}
    if not isinstance(slug, str):
        report.error(where, "must be a runbook's slug, like restart-ollama")
        return None
    if slug not in in_file and not Runbook.objects.filter(slug=slug).exists():
        report.error(where, f"no runbook {slug!r} in this file or the portal")
        return None
    return slug


def validate_handovers(items: list[Any], report: config.Report, document: dict[str, Any]) -> list[dict[str, Any]]:
    config.duplicates(items, "title", "handovers", report)
    rows: list[dict[str, Any]] = []
    spans: list[tuple[int, Handover]] = []
    for index, item in enumerate(items):
        path = ("handovers", index)
        if not config.check_keys(item, path, report, HANDOVER_FIELDS, {"title", "starts", "ends"}):
            continue
        known = len(report.errors)
        title = config.field_text(item, "title", path, report)
        handover = Handover.objects.filter(title=title).first() or Handover()
        handover.title = title
        handover.starts = config.moment(item, "starts", path, report)
        handover.ends = config.moment(item, "ends", path, report)
        handover.welcome = config.field_text(item, "welcome", path, report)
        handover.checks = config.field_text(item, "checks", path, report)
        caretakers = _caretakers(_names(item, "caretakers", path, report), path, report, document)
        runbooks = [
            slug
            for i, slug in enumerate(_names(item, "runbooks", path, report))
            if _runbook(slug, (*path, "runbooks", i), report, document)
        ]
        if_then = _if_then(item, path, report, document)
        if len(report.errors) == known and config.model_errors(handover, path, report, exclude=["caretakers"]):
            spans.append((index, handover))
            rows.append(
                {
                    **{name: getattr(handover, name) for name in PLAIN},
                    "caretakers": caretakers,
                    "runbooks": runbooks,
                    "if_then": if_then,
                }
            )
    # Within the file: the model's rule sees the portal's handovers, not the file's other entries.
    for (i, a), (j, b) in combinations(spans, 2):
        if a.starts < b.ends and b.starts < a.ends:
            report.error(("handovers", j, "starts"), f"overlaps handovers[{i}] ({a.title}): one handover at a time")
    return rows


def _if_then(item: dict, path: config.Path, report: config.Report, document: dict[str, Any]) -> list[dict]:
    value = item.get("if_then")
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ROWS:
        report.error((*path, "if_then"), f"must be a list of at most {MAX_ROWS} rows (when, do, runbook)")
        return []
    rows = []
    for index, entry in enumerate(value):
        where = (*path, "if_then", index)
        if not config.check_keys(entry, where, report, IF_THEN_FIELDS, {"when", "do"}):
            continue
        row = IfThen(
            when=config.field_text(entry, "when", where, report), do=config.field_text(entry, "do", where, report)
        )
        slug = _runbook(entry["runbook"], (*where, "runbook"), report, document) if entry.get("runbook") else None
        if config.model_errors(row, where, report, exclude=["handover", "runbook"]):
            rows.append({"when": row.when, "do": row.do, "runbook": slug})
    return rows


def apply_handovers(rows: list[dict[str, Any]]) -> Counter:
    plain = [{name: row[name] for name in PLAIN} for row in rows]
    done = config.upsert(Handover, plain, key="title", save=lambda obj, fields: services.handover_save(obj, fields))
    users = get_user_model().objects
    for row in rows:
        handover = done.objects[row["title"]]
        caretakers = list(users.filter(username__in=row["caretakers"]).order_by("username"))
        runbooks = [Runbook.objects.get(slug=slug) for slug in row["runbooks"]]
        if_then = [
            services.Row(r["when"], r["do"], Runbook.objects.get(slug=r["runbook"]) if r["runbook"] else None)
            for r in row["if_then"]
        ]
        current = (
            sorted(u.pk for u in handover.caretakers.all()),
            [hr.runbook_id for hr in handover.key_runbooks.all()],
            [(r.when, r.do, r.runbook_id) for r in handover.if_then.all()],
        )
        wanted = (
            sorted(u.pk for u in caretakers),
            [r.pk for r in runbooks],
            [(r.when, r.do, r.runbook.pk if r.runbook else None) for r in if_then],
        )
        if current != wanted:
            services.handover_save(handover, [], caretakers=caretakers, runbooks=runbooks, if_then=if_then)
            done.touched(row["title"])
    return done.counts


SECTIONS = [
    config.Section(
        name="contacts",
        order=80,
        export=export_contacts,
        validate=validate_contacts,
        apply=apply_contacts,
        help="Whom the caretaker calls: name, role, phone, email, notes.",
    ),
    config.Section(
        name="handovers",
        order=85,
        export=export_handovers,
        validate=validate_handovers,
        apply=apply_handovers,
        help="Handovers for a friend looking after the house: dates, caretakers, welcome, key runbooks, if-then rows.",
    ),
]
