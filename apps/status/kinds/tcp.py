"""tcp: something accepts a connection on a port."""

from __future__ import annotations

import asyncio
import contextlib
import time

import aiohttp

from apps.status.kinds import register
from apps.status.kinds.base import CheckKind, Outcome, Probe, any_value, connect_failure, ms, port_rule
from apps.status.models import Kind, State


@register
class Tcp(CheckKind):
    kind = Kind.TCP
    summary = "something accepts a connection on a port"
    options = {"host": any_value, "port": port_rule}
    required = frozenset({"host", "port"})

    async def run(self, probe: Probe, session: aiohttp.ClientSession) -> Outcome:
        host, port = probe.check["host"], int(probe.check["port"])
        start = time.perf_counter()
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError as exc:
            return Outcome(State.DOWN, f"port {port}: {connect_failure(exc)}", ms(start))
        latency = ms(start)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return Outcome(State.UP, f"port {port} accepted a connection in {latency:.0f} ms", latency)
