"""The `runbooks` section of the configuration file.

    runbooks:
      - slug: restart-ollama              # its address: /runbooks/restart-ollama/
        title: Restart Ollama on the Studio
        audience: caretaker               # owner, household (default) or caretaker
        tags: [studio, chat]
        hosts: [Studio]                   # names from `hosts`
        services: [studio-ollama]         # names from `services` or `heartbeats`
        review_days: 90                   # default 180
        body: |
          - [ ] Open the Studio's menu bar …

Each entry is the whole definition: a field left out takes its default. Upserted by slug,
never deleted. A body that changed makes a new revision whose source is the import (no
author); an unchanged one makes none. A body with secret-shaped lines is refused unless the
entry says `secret_override: true` (the page's "keep these lines anyway": never printed in
the binder). The rules are the model's (Runbook, its clean() and BODY_LIMIT), reported at
the file's path and line.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from apps.core import config
from apps.runbooks import secrets, services
from apps.runbooks.models import Audience, Revision, Runbook
from apps.status.models import Host, Service

FIELDS = {"slug", "title", "audience", "tags", "hosts", "services", "review_days", "body", "secret_override"}
NOTE = "From the configuration file"


def export() -> list[dict[str, Any]]:
    rows = []
    for runbook in Runbook.objects.prefetch_related("hosts", "services").order_by("slug"):
        row: dict[str, Any] = {"slug": runbook.slug, "title": runbook.title, "audience": runbook.audience}
        if runbook.tags:
            row["tags"] = list(runbook.tags)
        if hosts := sorted(h.name for h in runbook.hosts.all()):
            row["hosts"] = hosts
        if linked := sorted(s.name for s in runbook.services.all()):
            row["services"] = linked
        row["review_days"] = runbook.review_days
        if runbook.secret_override:
            row["secret_override"] = True
        row["body"] = runbook.body
        rows.append(row)
    return rows


def _names(item: dict, key: str, path: config.Path, report: config.Report, known: set[Any], what: str) -> list[str]:
    value = item.get(key) or []
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        report.error((*path, key), f"must be a list of {what} names")
        return []
    for name in value:
        if name not in known:
            report.error((*path, key), f"no {what} named {name!r} in this file or the portal")
    return list(dict.fromkeys(value))


def _in_file(document: dict, *sections: str) -> set[Any]:
    return {entry.get("name") for s in sections for entry in document.get(s) or [] if isinstance(entry, dict)}


def validate(items: list[Any], report: config.Report, document: dict) -> list[dict[str, Any]]:
    config.duplicates(items, "slug", "runbooks", report)
    known_hosts = _in_file(document, "hosts") | set(Host.objects.values_list("name", flat=True))
    known_services = _in_file(document, "services", "heartbeats") | set(Service.objects.values_list("name", flat=True))
    rows = []
    for index, item in enumerate(items):
        path = ("runbooks", index)
        if not config.check_keys(item, path, report, FIELDS, {"slug", "title"}):
            continue
        tags = item.get("tags") or []
        days = config.field_default(Runbook, "review_days")
        row: dict[str, Any] = {
            "slug": config.field_text(item, "slug", path, report),
            "title": config.field_text(item, "title", path, report),
            "audience": config.choice(item, "audience", path, report, list(Audience.values), Audience.HOUSEHOLD),
            "tags": [str(tag).lower() for tag in tags] if isinstance(tags, list) else tags,
            "review_days": config.number(item, "review_days", path, report, days),
            "body": config.field_text(item, "body", path, report),
        }
        keep = config.flag(item, "secret_override", path, report, False)
        missing = [] if "slug" in item else ["slug"]  # check_keys has said it is required
        if config.model_errors(Runbook(**row), path, report, exclude=missing):
            for finding in secrets.find(row["body"]) if not keep else []:
                report.error(
                    (*path, "body"),
                    f"body line {finding.line} looks like it holds {finding.what} ({finding.text}); write where it "
                    "is kept instead, or add secret_override: true to keep it (never printed in the binder)",
                )
        row["secret_override"] = keep and bool(secrets.find(row["body"]))
        row["hosts"] = _names(item, "hosts", path, report, known_hosts, "host")
        row["services"] = _names(item, "services", path, report, known_services, "service")
        rows.append(row)
    return rows


def _save(runbook: Runbook, fields: list[str] | None) -> Runbook:
    return services.runbook_save(
        runbook, fields, source=Revision.Source.IMPORT, note=NOTE, keep_secrets=runbook.secret_override
    )


def apply(rows: list[dict[str, Any]]) -> Counter:
    links = {row["slug"]: (row.pop("hosts"), row.pop("services")) for row in rows}
    done = config.upsert(Runbook, rows, key="slug", save=_save)
    for slug, (host_names, service_names) in links.items():
        runbook = done.objects[slug]
        hosts = set(Host.objects.filter(name__in=host_names))
        linked = set(Service.objects.filter(name__in=service_names))
        if hosts != set(runbook.hosts.all()) or linked != set(runbook.services.all()):
            runbook.hosts.set(hosts)
            runbook.services.set(linked)
            done.touched(slug)
    return done.counts


SECTION = config.Section(
    name="runbooks",
    order=70,
    export=export,
    validate=validate,
    apply=apply,
    help="Step-by-step runbooks, who reads them and what they are about.",
)
