"""heartbeat: a job (a backup, a sync) pings /ping/<uuid> when it runs; nothing is polled.
Its period, grace and shortest run are fields of the service itself (the `heartbeats`
config section and the heartbeat form), and state_machine.heartbeat_state judges them."""

from __future__ import annotations

from apps.status.kinds import register
from apps.status.kinds.base import CheckKind
from apps.status.models import Kind


@register
class Heartbeat(CheckKind):
    kind = Kind.HEARTBEAT
    summary = "a job pings the portal each time it runs; silence past its period and grace means down"
    polled = False
