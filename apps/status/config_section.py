"""Config sections `hosts`, `heartbeats` and `services`.

Each entry is the whole definition: a field left out takes its default. Import upserts by
name and never deletes. Heartbeats come before services so that a service may depend on one.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from apps.core import config
from apps.status import kinds
from apps.status.models import Criticality, Host, Kind, Service

HOST_FIELDS = {"name", "address", "kind", "location", "description"}
COMMON = {"name", "label", "criticality", "enabled", "what_to_do", "runbook_url", "depends_on"}
SERVICE_FIELDS = COMMON | {"host", "check", "interval", "timeout", "retries", "queue"}
HEARTBEAT_FIELDS = COMMON - {"depends_on"} | {"uuid", "period", "grace", "host", "min_duration"}


# --- hosts ---------------------------------------------------------------------------------


def export_hosts() -> list[dict[str, Any]]:
    rows = []
    for host in Host.objects.order_by("name"):
        row = {"name": host.name, "address": host.address, "kind": host.kind}
        row.update({f: getattr(host, f) for f in ("location", "description") if getattr(host, f)})
        rows.append(row)
    return rows


def validate_hosts(items: list[Any], report: config.Report, document: dict) -> list[dict[str, Any]]:
    config.duplicates(items, "name", "hosts", report)
    rows = []
    for index, item in enumerate(items):
        path = ("hosts", index)
        if not config.check_keys(item, path, report, HOST_FIELDS, {"name"}):
            continue
        rows.append(
            {
                "name": config.text(item, "name", path, report, max_length=100),
                "address": config.text(item, "address", path, report, max_length=255),
                "kind": config.choice(item, "kind", path, report, list(Host.HostKind.values), "other"),
                "location": config.text(item, "location", path, report, max_length=100),
                "description": config.text(item, "description", path, report, max_length=2000),
            }
        )
    return rows


def apply_hosts(rows: list[dict[str, Any]]) -> Counter:
    return config.upsert(Host, rows).counts


# --- shared service fields -----------------------------------------------------------------


def _known_hosts(document: dict) -> set[object]:  # the file's names may be anything
    named = {h.get("name") for h in document.get("hosts") or [] if isinstance(h, dict)}
    return named | set(Host.objects.values_list("name", flat=True))


def _common(item: dict, path: config.Path, report: config.Report, document: dict) -> dict[str, Any]:
    name = config.text(item, "name", path, report, max_length=100)
    if name and not all(c.isalnum() or c in "-_" for c in name):
        report.error((*path, "name"), "letters, digits, - and _ only (it is used in addresses)")
    host = config.text(item, "host", path, report)
    if host and host not in _known_hosts(document):
        report.error((*path, "host"), f"no host named {host!r} in this file or the portal")
    return {
        "name": name,
        "label": config.text(item, "label", path, report, default=name, max_length=100),
        "host": host,
        "criticality": config.choice(item, "criticality", path, report, list(Criticality.values), "normal"),
        "enabled": config.flag(item, "enabled", path, report, True),
        "what_to_do": config.text(item, "what_to_do", path, report, max_length=4000),
        "runbook_url": config.link(item, "runbook_url", path, report, max_length=255),
    }


def _seconds(item: dict, key: str, path: config.Path, report: config.Report, default: float, low: float, high: float):
    value = item.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        report.error((*path, key), f"must be a number of seconds from {low:g} to {high:g}")
        return default
    return value


def _export_common(service: Service) -> dict[str, Any]:
    row: dict[str, Any] = {"name": service.name, "label": service.label}
    if service.host is not None:
        row["host"] = service.host.name
    if service.criticality != Criticality.NORMAL:
        row["criticality"] = service.criticality
    if not service.enabled:
        row["enabled"] = False
    for field in ("what_to_do", "runbook_url"):
        if getattr(service, field):
            row[field] = getattr(service, field)
    return row


def _resolve_host(row: dict[str, Any]) -> dict[str, Any]:
    host = row.pop("host", "")
    row["host"] = Host.objects.get(name=host) if host else None
    return row


# --- heartbeats ----------------------------------------------------------------------------


def export_heartbeats() -> list[dict[str, Any]]:
    rows = []
    for service in Service.objects.filter(kind=Kind.HEARTBEAT).select_related("host").order_by("name"):
        row = _export_common(service)
        row.update({"uuid": str(service.ping_uuid), "period": service.period, "grace": service.grace})
        if service.min_duration:
            row["min_duration"] = service.min_duration
        rows.append(row)
    return rows


def validate_heartbeats(items: list[Any], report: config.Report, document: dict) -> list[dict[str, Any]]:
    config.duplicates(items, "name", "heartbeats", report)
    _name_clash(items, "heartbeats", "service", document, report)
    rows = []
    for index, item in enumerate(items):
        path = ("heartbeats", index)
        if not config.check_keys(item, path, report, HEARTBEAT_FIELDS, {"name", "period"}):
            continue
        row = _common(item, path, report, document)
        ping_uuid = None
        if item.get("uuid"):
            try:
                ping_uuid = uuid.UUID(str(item["uuid"]))
            except ValueError:
                report.error((*path, "uuid"), "not a UUID like 0f9e7c3a-...; leave it out to have one made")
        row.update(
            kind=Kind.HEARTBEAT,
            ping_uuid=ping_uuid,
            period=int(_seconds(item, "period", path, report, 86400, 60, 366 * 86400)),
            grace=int(_seconds(item, "grace", path, report, 3600, 60, 31 * 86400)),
            min_duration=int(_seconds(item, "min_duration", path, report, 0, 0, 7 * 86400)),
        )
        rows.append(row)
    return rows


def apply_heartbeats(rows: list[dict[str, Any]]) -> Counter:
    prepared = []
    for row in rows:
        row = _resolve_host(dict(row))
        if row["ping_uuid"] is None:
            existing = Service.objects.filter(name=row["name"]).values_list("ping_uuid", flat=True).first()
            row["ping_uuid"] = existing or uuid.uuid4()
        prepared.append(row)
    return config.upsert(Service, prepared).counts


# --- services ------------------------------------------------------------------------------


def export_services() -> list[dict[str, Any]]:
    rows = []
    services = Service.objects.exclude(kind=Kind.HEARTBEAT).select_related("host").prefetch_related("depends_on")
    for service in services.order_by("name"):
        row = _export_common(service)
        row["check"] = {"kind": service.kind, **service.check_config}
        row.update(interval=service.interval, timeout=service.timeout, retries=service.retries)
        if service.queue != "celery":
            row["queue"] = service.queue
        deps = sorted(d.name for d in service.depends_on.all())
        if deps:
            row["depends_on"] = deps
        rows.append(row)
    return rows


def _check(item: dict, path: config.Path, report: config.Report) -> tuple[str, dict[str, Any]]:
    """The check's kind and settings, each setting judged by the rule its kind gives it."""
    check = item.get("check")
    path = (*path, "check")
    if not isinstance(check, dict):
        report.error(path, "must be a mapping with at least kind")
        return "", {}
    by_name = {kind.kind: kind for kind in kinds.polled()}
    named = check.get("kind")
    kind = by_name.get(named) if isinstance(named, str) else None
    if kind is None:
        report.error((*path, "kind"), f"must be one of {', '.join(sorted(by_name))} (got {named!r})")
        return "", {}
    if not config.check_keys(check, path, report, {"kind", *kind.options}, set(kind.required)):
        return "", {}
    settings = {k: v for k, v in check.items() if k != "kind"}
    for key, rule in kind.options.items():
        if key in settings and (problem := rule(settings[key])):
            report.error((*path, key), problem)
    kind.validate(settings, path, report)
    return kind.kind, settings


def validate_check(check: dict[str, Any]) -> list[str]:
    """The same rules as the config file, for the owner's forms: messages like 'check.url: ...'."""
    report = config.Report()
    _check({"check": check}, (), report)
    return [str(error) for error in report.errors]


def _name_clash(items: list[Any], section: str, other_kind: str, document: dict, report: config.Report) -> None:
    """A heartbeat and a service share one namespace (addresses use the name)."""
    other_section = "heartbeats" if other_kind == "heartbeat" else "services"
    in_file = {i.get("name") for i in document.get(other_section) or [] if isinstance(i, dict)}
    other = (
        Service.objects.filter(kind=Kind.HEARTBEAT)
        if other_kind == "heartbeat"
        else Service.objects.exclude(kind=Kind.HEARTBEAT)
    )
    in_portal = set(other.values_list("name", flat=True))
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        if name and (name in in_file or name in in_portal):
            report.error((section, index, "name"), f"a {other_kind} is already called {name!r}")


def validate_services(items: list[Any], report: config.Report, document: dict) -> list[dict[str, Any]]:
    config.duplicates(items, "name", "services", report)
    _name_clash(items, "services", "heartbeat", document, report)
    known = {
        i.get("name") for key in ("services", "heartbeats") for i in document.get(key) or [] if isinstance(i, dict)
    }
    known |= set(Service.objects.values_list("name", flat=True))
    rows = []
    for index, item in enumerate(items):
        path = ("services", index)
        if not config.check_keys(item, path, report, SERVICE_FIELDS, {"name", "check"}):
            continue
        row = _common(item, path, report, document)
        kind, settings = _check(item, path, report)
        depends_on = item.get("depends_on") or []
        if not isinstance(depends_on, list) or not all(isinstance(d, str) for d in depends_on):
            report.error((*path, "depends_on"), "must be a list of service names")
            depends_on = []
        for dep in depends_on:
            if dep not in known:
                report.error((*path, "depends_on"), f"no service or heartbeat named {dep!r}")
            if dep == row["name"]:
                report.error((*path, "depends_on"), "a service cannot depend on itself")
        row.update(
            kind=kind,
            check_config=settings,
            interval=int(_seconds(item, "interval", path, report, 60, 5, 86400)),
            timeout=float(_seconds(item, "timeout", path, report, 10, 0.5, 120)),
            retries=int(_seconds(item, "retries", path, report, 1, 0, 10)),
            queue=config.text(item, "queue", path, report, default="celery", max_length=64),
            depends_on=depends_on,
        )
        rows.append(row)
    _check_cycles(rows, report)
    return rows


def _check_cycles(rows: list[dict[str, Any]], report: config.Report) -> None:
    # The file's edges replace the portal's for the services it names; the rest stay.
    graph = {row["name"]: set(row["depends_on"]) for row in rows}
    named = set(graph)
    for source, target in Service.depends_on.through.objects.values_list("from_service__name", "to_service__name"):
        if source not in named:
            graph.setdefault(source, set()).add(target)
    for index, row in enumerate(rows):
        seen, stack = set(), list(graph.get(row["name"], ()))
        while stack:
            node = stack.pop()
            if node == row["name"]:
                report.error(("services", index, "depends_on"), "the dependencies go round in a circle")
                break
            if node not in seen:
                seen.add(node)
                stack.extend(graph.get(node, ()))


def apply_services(rows: list[dict[str, Any]]) -> Counter:
    plain = []
    for row in rows:
        row = _resolve_host(dict(row))
        row.pop("depends_on")
        plain.append(row)
    done = config.upsert(Service, plain)
    for row in rows:  # after every service exists, so a service may depend on a later one
        service = done.objects[row["name"]]
        wanted = set(Service.objects.filter(name__in=row["depends_on"]).values_list("pk", flat=True))
        if wanted != set(service.depends_on.values_list("pk", flat=True)):
            service.depends_on.set(wanted)
            done.touched(row["name"])
    return done.counts


SECTIONS = [
    config.Section("hosts", 20, export_hosts, validate_hosts, apply_hosts, "Machines on the home network."),
    config.Section(
        "heartbeats", 25, export_heartbeats, validate_heartbeats, apply_heartbeats, "Jobs that ping when they run."
    ),
    config.Section("services", 30, export_services, validate_services, apply_services, "What is checked, and how."),
]
