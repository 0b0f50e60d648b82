"""metric: one number, from Prometheus' text format or a JSON document, judged against limits
(down_above, down_below, degraded_above, degraded_below)."""

from __future__ import annotations

import contextlib
import json
import math
import re
import time
from typing import Any

import aiohttp

from apps.core import config
from apps.status.kinds import register
from apps.status.kinds.base import (
    CheckKind,
    CheckSettingsError,
    Failed,
    Outcome,
    Probe,
    any_value,
    base_url,
    fetch,
    flag_rule,
    json_path,
    ms,
    number_rule,
    url_rule,
    verify,
)
from apps.status.models import Kind, State

PROM_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
PROM_LINE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?")
PROM_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')
THRESHOLDS = ("down_above", "down_below", "degraded_above", "degraded_below")


def metric_rule(value: Any) -> str | None:
    if not PROM_NAME.fullmatch(str(value)):
        return "not a Prometheus metric name, like node_filesystem_avail_bytes"
    return None


def labels_rule(value: Any) -> str | None:
    if value is not None and (
        not isinstance(value, dict)
        or not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value.values())
    ):
        return "must be a mapping of label: value, like {mountpoint: /volume1}"
    return None


def limit_rule(value: Any) -> str | None:
    return None if value is None else number_rule(value)  # null: no limit, as when left out


def prometheus_series(text: str, metric: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of `metric` in Prometheus' text format, as (labels, value)."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PROM_LINE.fullmatch(line)
        if not match or match.group(1) != metric:
            continue
        labels = {
            m.group(1): re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1), m.group(2))
            for m in PROM_LABEL.finditer(match.group(2) or "")
        }
        with contextlib.suppress(ValueError):
            found.append((labels, float(match.group(3))))
    return found


def judge_value(name: str, value: float, check: dict[str, Any]) -> tuple[State, str]:
    """DOWN limits before DEGRADED ones; the message names the limit that was crossed."""
    if math.isnan(value):
        return State.DOWN, f"{name} has no value (NaN)"
    limits = {key: float(check[key]) for key in THRESHOLDS if check.get(key) is not None}
    for key, limit in limits.items():
        state, side = key.split("_")
        crossed = value > limit if side == "above" else value < limit
        if crossed:
            return State(state), f"{name} is {value:g} ({state} {side} {limit:g})"
    return State.UP, f"{name} is {value:g}" + (" (within its limits)" if limits else "")


@register
class Metric(CheckKind):
    kind = Kind.METRIC
    summary = "one number from Prometheus or JSON stays within its limits (free disk space, temperature)"
    options = {
        "url": url_rule,
        "metric": metric_rule,
        "labels": labels_rule,
        "json_path": any_value,
        "verify_tls": flag_rule,
        **dict.fromkeys(THRESHOLDS, limit_rule),
    }
    required = frozenset({"url"})

    def validate(self, settings: dict[str, Any], path: config.Path, report: config.Report) -> None:
        if bool(settings.get("metric")) == bool(settings.get("json_path")):
            report.error(path, "give metric (a Prometheus series) or json_path (a number in JSON), one of the two")
        if settings.get("labels") and "metric" not in settings:
            report.error((*path, "labels"), "only a Prometheus metric has labels")
        limits = {key: settings[key] for key in THRESHOLDS if key in settings and number_rule(settings[key]) is None}
        # DOWN limits are judged first (judge_value): a DOWN limit inside the DEGRADED one
        # would never let the service show as degraded.
        pairs = (("down_above", "degraded_above", "at least", max), ("down_below", "degraded_below", "at most", min))
        for down, degraded, bound, outer in pairs:
            if down in limits and degraded in limits and outer(limits[down], limits[degraded]) != limits[down]:
                message = f"must be {bound} {degraded} ({limits[degraded]:g}): a value is degraded before it is down"
                report.error((*path, down), message)

    async def run(self, probe: Probe, session: aiohttp.ClientSession) -> Outcome:
        check = probe.check
        url = str(check.get("url") or "")
        base_url(url)  # only to refuse a URL without http:// or https://; the path stays as given
        start = time.perf_counter()
        try:
            status, body = await fetch(session, "GET", url, start=start, ssl=verify(check))
        except Failed as failed:
            return failed.outcome
        latency = ms(start)
        if not 200 <= status <= 299:
            return Outcome(State.DOWN, f"answered {status}", latency)
        if check.get("metric"):
            name, wanted = str(check["metric"]), check.get("labels") or {}
            series = [
                value
                for labels, value in prometheus_series(body, name)
                if all(labels.get(k) == str(v) for k, v in wanted.items())
            ]
            if not series:
                where = " with those labels" if wanted else ""
                return Outcome(State.DOWN, f"the answer has no {name}{where}", latency)
            if len(series) > 1:
                raise CheckSettingsError(f"{len(series)} series of {name} match: add labels to pick one")
            value = series[0]
        elif check.get("json_path"):
            name = str(check["json_path"])
            try:
                raw = json_path(json.loads(body), name)
            except (ValueError, KeyError, IndexError):
                return Outcome(State.DOWN, f"the answer has no {name}", latency)
            try:
                if isinstance(raw, bool):
                    raise TypeError(raw)
                value = float(raw)
            except (TypeError, ValueError):
                return Outcome(State.DOWN, f"{name} is {raw!r}, not a number", latency)
        else:
            raise CheckSettingsError("a metric check needs metric (Prometheus) or json_path (JSON)")
        state, message = judge_value(name, value, check)
        return Outcome(state, message, latency, data={"value": value})
