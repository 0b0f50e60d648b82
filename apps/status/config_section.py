"""Config sections `hosts`, `heartbeats` and `services`.

Each entry is the whole definition: a field left out takes its default. Import upserts by
name and never deletes. Heartbeats come before services so that a service may depend on one.
The rules are the models' (models.py, one definition per entity, shared with the Settings
forms): this module reads YAML into field values and names into rows, reports the models'
judgement at the file's paths and lines, and writes through services.py.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from apps.core import config
from apps.status import kinds, services
from apps.status.models import Criticality, Host, Kind, Service

HOST_FIELDS = {"name", "address", "kind", "location", "description", "credentials_pointer"}
COMMON = {"name", "label", "criticality", "enabled", "what_to_do", "runbook_url", "credentials_pointer", "depends_on"}
SERVICE_FIELDS = COMMON | {"host", "check", "interval", "timeout", "retries", "queue"}
HEARTBEAT_FIELDS = COMMON - {"depends_on"} | {"uuid", "period", "grace", "host", "min_duration"}
# Model fields whose key in the file differs.
KEYS = {"check_config": "check", "ping_uuid": "uuid"}


# --- hosts ---------------------------------------------------------------------------------


def export_hosts() -> list[dict[str, Any]]:
    rows = []
    for host in Host.objects.order_by("name"):
        row = {"name": host.name, "address": host.address, "kind": host.kind}
        optional = ("location", "description", "credentials_pointer")
        row.update({f: getattr(host, f) for f in optional if getattr(host, f)})
        rows.append(row)
    return rows


def validate_hosts(items: list[Any], report: config.Report, document: dict) -> list[dict[str, Any]]:
    config.duplicates(items, "name", "hosts", report)
    rows = []
    for index, item in enumerate(items):
        path = ("hosts", index)
        if not config.check_keys(item, path, report, HOST_FIELDS, {"name"}):
            continue
        row = {
            "name": config.field_text(item, "name", path, report),
            "address": config.field_text(item, "address", path, report),
            "kind": config.field_text(item, "kind", path, report, config.field_default(Host, "kind")),
            "location": config.field_text(item, "location", path, report),
            "description": config.field_text(item, "description", path, report),
            "credentials_pointer": config.field_text(item, "credentials_pointer", path, report),
        }
        missing = [] if "name" in item else ["name"]  # check_keys has said it is required
        config.model_errors(Host(**row), path, report, exclude=missing)
        rows.append(row)
    return rows


def apply_hosts(rows: list[dict[str, Any]]) -> Counter:
    return config.upsert(Host, rows, save=services.host_save).counts


# --- shared service fields -----------------------------------------------------------------


def _known_hosts(document: dict) -> set[object]:  # the file's names may be anything
    named = {h.get("name") for h in document.get("hosts") or [] if isinstance(h, dict)}
    return named | set(Host.objects.values_list("name", flat=True))


def _common(item: dict, path: config.Path, report: config.Report, document: dict) -> dict[str, Any]:
    name = config.field_text(item, "name", path, report)
    host = config.field_text(item, "host", path, report)
    if host and host not in _known_hosts(document):
        report.error((*path, "host"), f"no host named {host!r} in this file or the portal")
    return {
        "name": name,
        "label": config.field_text(item, "label", path, report, default=name),
        "host": host,
        "criticality": config.choice(item, "criticality", path, report, list(Criticality.values), "normal"),
        "enabled": config.flag(item, "enabled", path, report, True),
        "what_to_do": config.field_text(item, "what_to_do", path, report),
        "runbook_url": config.field_text(item, "runbook_url", path, report),
        "credentials_pointer": config.field_text(item, "credentials_pointer", path, report),
    }


def _judge(row: dict[str, Any], item: dict, path: config.Path, report: config.Report) -> None:
    """The model's judgement of the row (config.model_errors), each problem at its path. A
    check's problems are placed at the setting they are about (check.port, on its own line),
    from the same judge as Service.clean, rather than on the check as a whole."""
    service = Service(**{field: value for field, value in row.items() if field not in ("host", "depends_on")})
    exclude = ["host"]  # named in the file, which may create it: checked by _common
    if "name" not in item:
        exclude.append("name")  # check_keys has said it is required
    if not row["kind"]:
        exclude += ["kind", "check_config"]  # _check has said what is wrong
    judged = config.Report(report.lines)
    config.model_errors(service, path, judged, keys=KEYS, exclude=exclude)
    check = config.format_path((*path, "check"))
    report.errors += [error for error in judged.errors if error.path != check]
    for where, problem in service.check_problems():
        report.error((*path, "check", *where), problem)


def _export_common(service: Service) -> dict[str, Any]:
    row: dict[str, Any] = {"name": service.name, "label": service.label}
    if service.host is not None:
        row["host"] = service.host.name
    if service.criticality != Criticality.NORMAL:
        row["criticality"] = service.criticality
    if not service.enabled:
        row["enabled"] = False
    for field in ("what_to_do", "runbook_url", "credentials_pointer"):
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
        row.update(
            kind=Kind.HEARTBEAT,
            period=config.number(
                item, "period", path, report, config.field_default(Service, "period"), unit=" of seconds"
            ),
            grace=config.number(
                item, "grace", path, report, config.field_default(Service, "grace"), unit=" of seconds"
            ),
            min_duration=config.number(
                item, "min_duration", path, report, config.field_default(Service, "min_duration"), unit=" of seconds"
            ),
        )
        # Left out, an existing heartbeat keeps its uuid (backup jobs keep their URL) and a
        # new one is given one (services.heartbeat_save).
        if item.get("uuid"):
            try:
                row["ping_uuid"] = uuid.UUID(str(item["uuid"]))
            except ValueError:
                report.error((*path, "uuid"), "not a UUID like 0f9e7c3a-...; leave it out to have one made")
        _judge(row, item, path, report)
        rows.append(row)
    return rows


def apply_heartbeats(rows: list[dict[str, Any]]) -> Counter:
    prepared = [_resolve_host(dict(row)) for row in rows]
    return config.upsert(Service, prepared, save=services.heartbeat_save).counts


# --- services ------------------------------------------------------------------------------


def export_services() -> list[dict[str, Any]]:
    rows = []
    polled = Service.objects.exclude(kind=Kind.HEARTBEAT).select_related("host").prefetch_related("depends_on")
    for service in polled.order_by("name"):
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
    """The check's kind and settings; ("", {}) when there is no polled kind to judge them by.
    The settings are the model's to judge (Service.clean, by the kind's rules)."""
    check = item.get("check")
    path = (*path, "check")
    if not isinstance(check, dict):
        report.error(path, "must be a mapping with at least kind")
        return "", {}
    polled = sorted(kind.kind for kind in kinds.polled())
    named = check.get("kind")
    if named not in polled:
        report.error((*path, "kind"), f"must be one of {', '.join(polled)} (got {named!r})")
        return "", {}
    return named, {key: value for key, value in check.items() if key != "kind"}


def _name_clash(items: list[Any], section: str, other_kind: str, document: dict, report: config.Report) -> None:
    """A heartbeat and a service share one namespace (addresses use the name)."""
    other_section = "heartbeats" if other_kind == "heartbeat" else "services"
    in_file = {i.get("name") for i in document.get(other_section) or [] if isinstance(i, dict) and _named(i)}
    other = (
        Service.objects.filter(kind=Kind.HEARTBEAT)
        if other_kind == "heartbeat"
        else Service.objects.exclude(kind=Kind.HEARTBEAT)
    )
    in_portal = set(other.values_list("name", flat=True))
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) and _named(item) else None
        if name and (name in in_file or name in in_portal):
            report.error((section, index, "name"), f"a {other_kind} is already called {name!r}")


def _named(item: dict) -> bool:
    """A name that is text (anything else is the name field's own error, not a clash)."""
    return isinstance(item.get("name"), str)


def validate_services(items: list[Any], report: config.Report, document: dict) -> list[dict[str, Any]]:
    config.duplicates(items, "name", "services", report)
    _name_clash(items, "services", "heartbeat", document, report)
    known = {
        i.get("name")
        for key in ("services", "heartbeats")
        for i in document.get(key) or []
        if isinstance(i, dict) and _named(i)
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
            interval=config.number(
                item, "interval", path, report, config.field_default(Service, "interval"), unit=" of seconds"
            ),
            timeout=config.number(
                item, "timeout", path, report, config.field_default(Service, "timeout"), whole=False, unit=" of seconds"
            ),
            retries=config.number(item, "retries", path, report, config.field_default(Service, "retries")),
            queue=config.field_text(item, "queue", path, report, default=config.field_default(Service, "queue")),
            depends_on=depends_on,
        )
        _judge(row, item, path, report)
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
    plain = [_resolve_host({field: value for field, value in row.items() if field != "depends_on"}) for row in rows]
    done = config.upsert(Service, plain, save=services.service_save)
    for row in rows:  # after every service exists, so a service may depend on a later one
        wanted = Service.objects.filter(name__in=row["depends_on"])
        if services.service_set_depends_on(done.objects[row["name"]], wanted, graph_checked=True):
            done.touched(row["name"])
    return done.counts


SECTIONS = [
    config.Section("hosts", 20, export_hosts, validate_hosts, apply_hosts, "Machines on the home network."),
    config.Section(
        "heartbeats", 25, export_heartbeats, validate_heartbeats, apply_heartbeats, "Jobs that ping when they run."
    ),
    config.Section("services", 30, export_services, validate_services, apply_services, "What is checked, and how."),
]
