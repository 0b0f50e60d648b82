"""The `backends`, `routes` and `policies` sections of the config file.

    backends:
      - name: studio
        kind: ollama                      # or openai
        base_url: http://studio.home.arpa:11434
        api_key_env: STUDIO_KEY           # optional: the NAME of the variable holding the key
        timeout: 30
        service: studio-ollama            # the status-board service that watches it
      - name: cloud
        kind: openai
        base_url: https://api.openai.com/v1
        api_key_env: OPENAI_API_KEY
        price_input_per_m: 0.15           # paid backends: per million tokens, household currency
        price_output_per_m: 0.60
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
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models

from apps.accounts import audience
from apps.core import config
from apps.gateway import services
from apps.gateway.models import PRICE_WORDS, Backend, Policy, Route, Target
from apps.status.models import Service

BACKEND_FIELDS = {
    "name",
    "kind",
    "base_url",
    "api_key_env",
    "timeout",
    "service",
    "price_input_per_m",
    "price_output_per_m",
}
PRICES = ("price_input_per_m", "price_output_per_m")
PRICE_COLUMN = cast(models.DecimalField, Backend._meta.get_field("price_input_per_m"))  # and the output one
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
        for key in PRICES:
            price = getattr(backend, key)
            if price is not None:
                row[key] = price.normalize()  # written with its digits (config._Dumper): 0.15
        rows.append(row)
    return rows


def validate_backends(items: list[Any], report: config.Report, document: dict[str, Any]) -> list[dict]:
    config.duplicates(items, "name", "backends", report)
    services_named = _names(document, "services", "name") | set(Service.objects.values_list("name", flat=True))
    rows = []
    for index, item in enumerate(items):
        path = ("backends", index)
        if not config.check_keys(item, path, report, BACKEND_FIELDS, {"name", "base_url"}):
            continue
        row = {
            "name": config.field_text(item, "name", path, report),
            "kind": config.field_text(item, "kind", path, report, config.field_default(Backend, "kind")),
            "base_url": config.field_text(item, "base_url", path, report),
            "api_key_env": config.field_text(item, "api_key_env", path, report),
            "timeout": config.field_number(item, "timeout", path, report, Backend),
            **{key: _price(item, key, path, report) for key in PRICES},
        }
        config.model_errors(Backend(**row), path, report, exclude=["service"])
        service = config.field_text(item, "service", path, report)
        if service and service not in services_named:
            report.error((*path, "service"), f"no service named {service!r} in this file or the portal")
        rows.append({**row, "service": service})
    return rows


def _price(item: dict, key: str, path: config.Path, report: config.Report) -> Decimal | None:
    """A price per million tokens as a Decimal from its written digits (never through a float's
    binary value); the Settings form's words when it is not one (the bounds are the model's)."""
    price = config.decimal(item, key, path, report, words=PRICE_WORDS)
    if price is None:
        return None
    try:
        exponent = price.normalize().as_tuple().exponent  # 0.1500 has 2 decimals that matter
        if not price.is_finite() or not isinstance(exponent, int) or exponent < -PRICE_COLUMN.decimal_places:
            raise InvalidOperation
        if price.adjusted() >= PRICE_COLUMN.max_digits - PRICE_COLUMN.decimal_places:  # too many whole digits
            raise InvalidOperation
    except InvalidOperation:
        report.error((*path, key), PRICE_WORDS)
        return None
    return price


def apply_backends(rows: list[dict]) -> Counter:
    named = {row["service"]: Service.objects.filter(name=row["service"]).first() for row in rows if row["service"]}
    rows = [{**row, "service": named.get(row["service"])} for row in rows]
    return config.upsert(Backend, rows, save=services.backend_save).counts


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
        row: dict[str, Any] = {
            "alias": config.field_text(item, "alias", path, report),
            "workload": config.field_text(item, "workload", path, report, config.field_default(Route, "workload")),
            "description": config.field_text(item, "description", path, report),
        }
        config.model_errors(Route(**row), path, report)
        targets = item.get("targets")
        if not isinstance(targets, list):
            report.error((*path, "targets"), "must be a list of targets, each a backend and a model")
            targets = []
        row["targets"] = _targets(targets, path, report, backends)
        rows.append(row)
    return rows


def _targets(items: list[Any], path: config.Path, report: config.Report, backends: set[str]) -> list[dict]:
    targets = []
    for position, item in enumerate(items):
        tpath = (*path, "targets", position)
        if not config.check_keys(item, tpath, report, TARGET_FIELDS, {"backend", "model"}):
            continue
        backend = config.field_text(item, "backend", tpath, report)
        if backend and backend not in backends:
            report.error((*tpath, "backend"), f"no backend named {backend!r} in this file or the portal")
        values = {
            "model": config.field_text(item, "model", tpath, report),
            "max_tokens": config.field_number(item, "max_tokens", tpath, report, Target),
            "context_tokens": config.field_number(item, "context", tpath, report, Target, "context_tokens"),
        }
        keys = {"context_tokens": "context"}
        config.model_errors(Target(**values), tpath, report, keys=keys, exclude=["route", "backend"])
        targets.append({"backend": backend, **values})
    if len(targets) == len(items):  # a malformed entry is reported already
        try:
            Route.check_targets([(target["backend"], target["model"]) for target in targets])
        except ValidationError as exc:
            report.error((*path, "targets"), exc.messages[0])
    return targets


def _targets_of(route: Route) -> list[dict]:
    return [
        {"backend": t.backend.name, "model": t.model, "max_tokens": t.max_tokens, "context_tokens": t.context_tokens}
        for t in route.targets.select_related("backend")
    ]


def apply_routes(rows: list[dict]) -> Counter:
    """The routes' own fields by the one upsert; then each route whose targets differ gets the
    file's list (services.route_set_targets), and counts as changed."""
    done = config.upsert(Route, [_without(row, "targets") for row in rows], key="alias", save=services.route_save)
    backends = {backend.name: backend for backend in Backend.objects.all()}
    for row in rows:
        route = done.objects[row["alias"]]
        if _targets_of(route) != row["targets"]:
            targets = [Target(**{**t, "backend": backends[t["backend"]]}) for t in row["targets"]]
            services.route_set_targets(route, targets)
            done.touched(row["alias"])
    return done.counts


def _without(row: dict, key: str) -> dict:
    return {name: value for name, value in row.items() if name != key}


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
    seen: dict[tuple, int] = {}
    rows = []
    for index, item in enumerate(items):
        path = ("policies", index)
        if not config.check_keys(item, path, report, POLICY_FIELDS, set()):
            continue
        role, member = audience.from_file(item, path, report, document)
        who = ("member", member.get_username()) if member else ("role", role)
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
            "role": role,
            "aliases": sorted(listed) if listed is not None else None,
            "daily_tokens": config.field_number(item, "daily_tokens", path, report, Policy),
            "max_streams": config.field_number(item, "max_streams", path, report, Policy),
            "quiet_from": config.clock(item, "quiet_from", path, report, Policy),
            "quiet_until": config.clock(item, "quiet_until", path, report, Policy),
            "system_prompts": {str(k): v for k, v in prompts.items()},
        }
        existing = Policy.objects.filter(role=role, member=member).first() if not member or member.pk else None
        policy = existing or Policy()
        for name, value in {**row, "member": member}.items():
            setattr(policy, name, value)
        config.model_errors(policy, path, report, exclude=["member"])
        rows.append({**row, "member": member.get_username() if member else None})
    return rows


def apply_policies(rows: list[dict]) -> Counter:
    users = get_user_model().objects
    rows = [{**row, "member": users.get(username=row["member"]) if row["member"] else None} for row in rows]
    return config.upsert(Policy, rows, key=("role", "member"), save=services.policy_save).counts


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
