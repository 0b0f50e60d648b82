"""The `backends`, `routes` and `policies` sections of the config file.

    backends:
      - name: studio
        kind: ollama                      # or openai
        base_url: http://studio.home.arpa:11434
        api_key_env: STUDIO_KEY           # optional: the NAME of the variable holding the key
        timeout: 30
        service: studio-ollama            # the status-board service that watches it
    routes:
      - alias: assistant
        workload: chat                    # or embeddings
        description: Everyday questions
        targets:                          # tried in order
          - {backend: studio, model: "llama3.1:8b", max_tokens: 2048, context: 8192}
          - {backend: macbook, model: "llama3.2:3b"}
    policies:
      - role: family                      # or member: sam (a member's own overrides)
        aliases: [assistant, quick]       # left out: every alias
        daily_tokens: 200000
        max_streams: 2
        quiet_from: "22:00"
        quiet_until: "07:00"
        system_prompts: {homework: "You are a patient homework helper ..."}

Each entry is the whole definition; import upserts by name/alias/role/member and never
deletes. An API key typed into the settings page is never exported; `api_key_env` is.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from apps.accounts.roles import Role
from apps.core import config, rules
from apps.gateway.models import Backend, Policy, Route, Target, Workload
from apps.status.models import Service

BACKEND_FIELDS = {"name", "kind", "base_url", "api_key_env", "timeout", "service"}
ROUTE_FIELDS = {"alias", "workload", "description", "targets"}
TARGET_FIELDS = {"backend", "model", "max_tokens", "context"}
POLICY_FIELDS = {
    "role",
    "member",
    "aliases",
    "daily_tokens",
    "max_streams",
    "quiet_from",
    "quiet_until",
    "system_prompts",
}


def _whole(item: dict, key: str, path: config.Path, report: config.Report, default: int | None, low: int, high: int):
    value = item.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        report.error((*path, key), f"must be a whole number from {low:,} to {high:,}")
        return default
    return value


def _names(document: dict, section: str, key: str) -> set[str]:
    return {str(i.get(key)) for i in document.get(section) or [] if isinstance(i, dict) and i.get(key)}


# --- backends ------------------------------------------------------------------------------


def export_backends() -> list[dict[str, Any]]:
    rows = []
    for backend in Backend.objects.select_related("service"):
        row: dict[str, Any] = {"name": backend.name, "kind": backend.kind, "base_url": backend.base_url}
        if backend.api_key_env:
            row["api_key_env"] = backend.api_key_env
        row["timeout"] = backend.timeout
        if backend.service is not None:
            row["service"] = backend.service.name
        rows.append(row)
    return rows


def validate_backends(items: list[Any], report: config.Report, document: dict[str, Any]) -> list[dict]:
    config.duplicates(items, "name", "backends", report)
    services = _names(document, "services", "name") | set(Service.objects.values_list("name", flat=True))
    rows = []
    for index, item in enumerate(items):
        path = ("backends", index)
        if not config.check_keys(item, path, report, BACKEND_FIELDS, {"name", "base_url"}):
            continue
        row = {
            "name": config.text(item, "name", path, report, max_length=64),
            "kind": config.choice(item, "kind", path, report, list(Backend.BackendKind.values), "openai"),
            "base_url": config.text(item, "base_url", path, report, max_length=255),
            "api_key_env": config.text(item, "api_key_env", path, report, max_length=100),
            "timeout": _number(item, "timeout", path, report),
            "service": config.text(item, "service", path, report, max_length=100),
        }
        if not row["base_url"].startswith(("http://", "https://")):
            report.error((*path, "base_url"), "must start with http:// or https://")
        if row["api_key_env"] and (problem := rules.env_name_problem(row["api_key_env"], "key")):
            report.error((*path, "api_key_env"), problem)
        if row["service"] and row["service"] not in services:
            report.error((*path, "service"), f"no service named {row['service']!r} in this file or the portal")
        rows.append(row)
    return rows


def _number(item: dict, key: str, path: config.Path, report: config.Report) -> float:
    value = item.get(key, 30)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 600:
        report.error((*path, key), "must be a number of seconds from 1 to 600")
        return 30.0
    return float(value)


def apply_backends(rows: list[dict]) -> Counter:
    services = {row["service"]: Service.objects.filter(name=row["service"]).first() for row in rows if row["service"]}
    rows = [{**row, "service": services.get(row["service"])} for row in rows]
    return config.upsert(Backend, rows).counts


# --- routes --------------------------------------------------------------------------------


def export_routes() -> list[dict[str, Any]]:
    rows = []
    for route in Route.objects.prefetch_related("targets__backend"):
        row: dict[str, Any] = {"alias": route.alias, "workload": route.workload}
        if route.description:
            row["description"] = route.description
        row["targets"] = [
            {"backend": t.backend.name, "model": t.model, "max_tokens": t.max_tokens, "context": t.context_tokens}
            for t in route.targets.all()
        ]
        rows.append(row)
    return rows


def validate_routes(items: list[Any], report: config.Report, document: dict[str, Any]) -> list[dict]:
    config.duplicates(items, "alias", "routes", report)
    backends = _names(document, "backends", "name") | set(Backend.objects.values_list("name", flat=True))
    rows = []
    for index, item in enumerate(items):
        path = ("routes", index)
        if not config.check_keys(item, path, report, ROUTE_FIELDS, {"alias", "targets"}):
            continue
        row = {
            "alias": config.text(item, "alias", path, report, max_length=64),
            "workload": config.choice(item, "workload", path, report, list(Workload.values), "chat"),
            "description": config.text(item, "description", path, report, max_length=200),
            "targets": [],
        }
        targets = item.get("targets")
        if not isinstance(targets, list) or not targets:
            report.error((*path, "targets"), "must list at least one target (backend and model)")
            targets = []
        for position, target in enumerate(targets):
            tpath = (*path, "targets", position)
            if not config.check_keys(target, tpath, report, TARGET_FIELDS, {"backend", "model"}):
                continue
            backend = config.text(target, "backend", tpath, report, max_length=64)
            if backend and backend not in backends:
                report.error((*tpath, "backend"), f"no backend named {backend!r} in this file or the portal")
            row["targets"].append(
                {
                    "backend": backend,
                    "model": config.text(target, "model", tpath, report, max_length=200),
                    "max_tokens": _whole(target, "max_tokens", tpath, report, 2048, 1, 1_000_000),
                    "context_tokens": _whole(target, "context", tpath, report, 8192, 256, 10_000_000),
                }
            )
        rows.append(row)
    return rows


def apply_routes(rows: list[dict]) -> Counter:
    counts: Counter = Counter(created=0, updated=0, unchanged=0)
    for row in rows:
        targets = row["targets"]
        fields = {k: v for k, v in row.items() if k != "targets"}
        route = Route.objects.filter(alias=row["alias"]).first()
        before = export_routes_for(route) if route else None
        with transaction.atomic():
            if route is None:
                route = Route.objects.create(**fields)
            else:
                Route.objects.filter(pk=route.pk).update(**fields)
            if before is None or before != {**fields, "targets": targets}:
                route.targets.all().delete()
                backends = {b.name: b for b in Backend.objects.filter(name__in={t["backend"] for t in targets})}
                Target.objects.bulk_create(
                    Target(route=route, position=i, **{**t, "backend": backends[t["backend"]]})
                    for i, t in enumerate(targets)
                )
                Route.objects.get(pk=route.pk).save()  # one signal, so every process reloads
        counts[
            "created" if before is None else ("unchanged" if before == {**fields, "targets": targets} else "updated")
        ] += 1
    return counts


def export_routes_for(route: Route) -> dict:
    return {
        "alias": route.alias,
        "workload": route.workload,
        "description": route.description,
        "targets": [
            {
                "backend": t.backend.name,
                "model": t.model,
                "max_tokens": t.max_tokens,
                "context_tokens": t.context_tokens,
            }
            for t in route.targets.select_related("backend")
        ],
    }


# --- policies ------------------------------------------------------------------------------


def export_policies() -> list[dict[str, Any]]:
    rows = []
    for policy in Policy.objects.select_related("member").order_by("member__username", "role"):
        member = policy.member
        row: dict[str, Any] = {"member": member.get_username()} if member is not None else {"role": policy.role}
        if policy.aliases is not None:
            row["aliases"] = sorted(policy.aliases)
        for key in ("daily_tokens", "max_streams"):
            if getattr(policy, key) is not None:
                row[key] = getattr(policy, key)
        if policy.quiet_from and policy.quiet_until:
            row["quiet_from"], row["quiet_until"] = (
                config.clock_text(policy.quiet_from),
                config.clock_text(policy.quiet_until),
            )
        if policy.system_prompts:
            row["system_prompts"] = dict(policy.system_prompts)
        rows.append(row)
    return rows


def validate_policies(items: list[Any], report: config.Report, document: dict[str, Any]) -> list[dict]:
    aliases = _names(document, "routes", "alias") | set(Route.objects.values_list("alias", flat=True))
    members = _names(document, "members", "username") | set(get_user_model().objects.values_list("username", flat=True))
    seen: dict[tuple, int] = {}
    rows = []
    for index, item in enumerate(items):
        path = ("policies", index)
        if not config.check_keys(item, path, report, POLICY_FIELDS, set()):
            continue
        role = item.get("role")
        member = config.text(item, "member", path, report, max_length=150)
        if bool(role) == bool(member):
            report.error(path, "give either role (owner, family, caretaker) or member (a username), not both")
        if role:
            role = config.choice(item, "role", path, report, list(Role.values))
        if member and member not in members:
            report.error((*path, "member"), f"no member called {member!r} in this file or the portal")
        who = ("role", role) if role else ("member", member)
        if who in seen:
            report.error(path, f"a second policy for {who[0]} {who[1]!r} (first at policies[{seen[who]}])")
        seen.setdefault(who, index)
        listed = item.get("aliases")
        if listed is not None and (not isinstance(listed, list) or not all(isinstance(a, str) for a in listed)):
            report.error((*path, "aliases"), "must be a list of aliases (leave it out for every alias)")
            listed = None
        for position, alias in enumerate(listed or []):
            if alias not in aliases:
                report.error((*path, "aliases", position), f"no route with alias {alias!r} in this file or the portal")
        prompts = item.get("system_prompts") or {}
        if not isinstance(prompts, dict) or not all(isinstance(v, str) for v in prompts.values()):
            report.error((*path, "system_prompts"), "must map aliases to prompts (alias: text)")
            prompts = {}
        for alias in prompts:
            if alias not in aliases:
                report.error(
                    (*path, "system_prompts", alias), f"no route with alias {alias!r} in this file or the portal"
                )
        row = {
            "role": role or "",
            "member": member,
            "aliases": sorted(listed) if listed is not None else None,
            "daily_tokens": _whole(item, "daily_tokens", path, report, None, 1, 2_147_483_647),
            "max_streams": _whole(item, "max_streams", path, report, None, 1, 100),
            "quiet_from": config.clock(item, "quiet_from", path, report),
            "quiet_until": config.clock(item, "quiet_until", path, report),
            "system_prompts": {str(k): v for k, v in prompts.items()},
        }
        if (row["quiet_from"] is None) != (row["quiet_until"] is None):
            report.error(path, "quiet_from and quiet_until go together: give both or neither")
        rows.append(row)
    return rows


def apply_policies(rows: list[dict]) -> Counter:
    users = get_user_model().objects
    rows = [{**row, "member": users.get(username=row["member"]) if row["member"] else None} for row in rows]
    return config.upsert(Policy, rows, key=("role", "member")).counts


SECTIONS = [
    config.Section("backends", 50, export_backends, validate_backends, apply_backends, "Where the models run."),
    config.Section(
        "routes",
        51,
        export_routes,
        validate_routes,
        apply_routes,
        "What the household asks for, and where it is answered.",
    ),
    config.Section(
        "policies",
        52,
        export_policies,
        validate_policies,
        apply_policies,
        "Who may use which model, how much and when.",
    ),
]
