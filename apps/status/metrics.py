"""/metrics in Prometheus text format, for Grafana: states, latency and check counts."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.status import history
from apps.status.models import Service, State


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def render() -> str:
    services = list(Service.objects.select_related("host").order_by("name"))
    now = timezone.now()
    counts = history.counts([s.pk for s in services], since=now - timedelta(hours=settings.STATUS_RAW_HOURS), now=now)
    lines = [
        "# HELP homeops_service_up 1 when the service works (up or degraded), else 0.",
        "# TYPE homeops_service_up gauge",
    ]
    labels = {
        s.pk: f'service="{_label(s.name)}",host="{_label(s.host.name if s.host else "")}",kind="{s.kind}"'
        for s in services
    }
    for s in services:
        lines.append(f"homeops_service_up{{{labels[s.pk]}}} {int(s.state in (State.UP, State.DEGRADED))}")
    lines += ["# HELP homeops_service_state 1 for the service's current state.", "# TYPE homeops_service_state gauge"]
    for s in services:
        for state in State:
            lines.append(f'homeops_service_state{{{labels[s.pk]},state="{state.value}"}} {int(s.state == state)}')
    lines += [
        "# HELP homeops_check_latency_seconds Latency of the last check.",
        "# TYPE homeops_check_latency_seconds gauge",
    ]
    for s in services:
        if s.latency_ms is not None:
            lines.append(f"homeops_check_latency_seconds{{{labels[s.pk]}}} {s.latency_ms / 1000:.4f}")
    lines += [
        f"# HELP homeops_checks Checks in the last {settings.STATUS_RAW_HOURS} h by outcome (raw window).",
        "# TYPE homeops_checks gauge",
    ]
    for s in services:
        # Down includes unreachable, as in uptime: the service could not be used.
        for state, n in zip((State.UP, State.DEGRADED, State.DOWN), counts.get(s.pk, (0, 0, 0)), strict=True):
            lines.append(f'homeops_checks{{{labels[s.pk]},outcome="{state.value}"}} {n}')
    return "\n".join(lines) + "\n"
