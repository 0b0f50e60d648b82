"""nut: a UPS through Network UPS Tools' upsd: on mains or on battery, charge and time left,
and the power figures it reports (what the ledger's electricity is measured from)."""

from __future__ import annotations

import asyncio
import contextlib
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
    connect_failure,
    ms,
    port_rule,
)
from apps.status.models import Kind, State

NUT_PORT = 3493
UPS_NAME = re.compile(r"[A-Za-z0-9_.-]+")  # sent on the wire: no spaces, quotes or newlines
NUT_VAR = re.compile(r'VAR (\S+) (\S+) "((?:[^"\\]|\\.)*)"')
# The battery figures for the board; the power figures for the ledger's electricity
# (apps/ledger/figures.ups_watts reads them from Service.details in NUT's usual order).
# ups.power is apparent power in VA: kept for people, never read as watts.
NUT_NUMBERS = (
    "battery.charge",
    "battery.runtime",
    "ups.load",
    "ups.realpower",
    "ups.realpower.nominal",
    "ups.power.nominal",
    "ups.power",
)
NUT_ERRORS = {
    "UNKNOWN-UPS": "the UPS server does not know a UPS called {ups!r}",
    "DATA-STALE": "the UPS has stopped reporting (its driver's data is stale)",
    "DRIVER-NOT-CONNECTED": "the UPS server has lost touch with the UPS (no driver connected)",
    "ACCESS-DENIED": "the UPS server refused to answer this machine (access denied)",
}


async def nut_variables(host: str, port: int, ups: str) -> dict[str, str]:
    """`LIST VAR <ups>` over upsd's network protocol (docs: NUT developer guide, "Network
    protocol information"). Raises Failed for an `ERR` answer, OSError when unreachable."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"LIST VAR {ups}\n".encode())
        await writer.drain()
        variables: dict[str, str] = {}
        while True:
            line = (await reader.readline()).decode(errors="replace").rstrip("\r\n")
            if not line:
                raise Failed(Outcome(State.DOWN, "the UPS server closed the connection mid-answer"))
            if line.startswith("ERR "):
                code = line.split()[1]
                text = NUT_ERRORS.get(code, "the UPS server answered {code}").format(ups=ups, code=code)
                raise Failed(Outcome(State.DOWN, text))
            if line.startswith("END LIST VAR"):
                break
            match = NUT_VAR.fullmatch(line)
            if match:
                variables[match.group(2)] = re.sub(r"\\(.)", r"\1", match.group(3))
        with contextlib.suppress(OSError):
            writer.write(b"LOGOUT\n")
            await writer.drain()
        return variables
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "time left unknown"
    return "less than a minute left" if seconds < 60 else f"{int(seconds // 60)} min left"


@register
class Nut(CheckKind):
    kind = Kind.NUT
    summary = "a UPS watched through NUT is on mains power with a healthy battery"
    options = {"host": any_value, "port": port_rule, "ups": any_value}
    required = frozenset({"host", "ups"})

    def validate(self, settings: dict[str, Any], path: config.Path, report: config.Report) -> None:
        if not UPS_NAME.fullmatch(str(settings.get("ups", ""))):
            report.error((*path, "ups"), "must be the UPS's name in NUT, like ups (letters, digits, . _ and - only)")

    async def run(self, probe: Probe, session: aiohttp.ClientSession) -> Outcome:
        check = probe.check
        host, port, ups = check["host"], int(check.get("port", NUT_PORT)), str(check.get("ups", ""))
        if not UPS_NAME.fullmatch(ups):
            raise CheckSettingsError(f"{ups!r} is not a UPS name (letters, digits, . _ and - only)")
        start = time.perf_counter()
        try:
            variables = await nut_variables(host, port, ups)
        except OSError as exc:
            return Outcome(State.DOWN, f"port {port}: {connect_failure(exc)}", ms(start))
        except Failed as failed:
            return Outcome(failed.outcome.state, failed.outcome.message, ms(start))
        latency = ms(start)
        data: dict[str, Any] = {}
        for name in NUT_NUMBERS:
            with contextlib.suppress(KeyError, ValueError):
                data[name] = float(variables[name])
        return judge_ups(variables.get("ups.status", "").split(), data, latency)


def judge_ups(status: list[str], data: dict[str, Any], latency: float) -> Outcome:
    """The UPS's status flags (OL, OB, LB, RB, OVER, OFF) in words."""
    charge = f"battery {data['battery.charge']:g}%" if "battery.charge" in data else "battery level unknown"
    left = _minutes(data.get("battery.runtime"))
    # upsmon shuts machines down on OB+LB; LB while on mains means it is recharging.
    if "LB" in status and "OL" not in status:
        return Outcome(State.DOWN, f"battery low: {left}", latency, data=data)
    if "OFF" in status:
        return Outcome(State.DOWN, "the UPS has switched its outlets off", latency, data=data)
    if "OB" in status:
        return Outcome(State.DEGRADED, f"on battery, {left}", latency, data=data)
    if "OL" in status:
        if "RB" in status:
            message = f"on mains power, but the battery needs replacing ({charge})"
            return Outcome(State.DEGRADED, message, latency, data=data)
        if "LB" in status:
            return Outcome(State.DEGRADED, f"on mains power, but the battery is low ({charge})", latency, data=data)
        if "OVER" in status:
            return Outcome(State.DEGRADED, f"on mains power, but overloaded ({charge})", latency, data=data)
        return Outcome(State.UP, f"on mains power, {charge}", latency, data=data)
    shown = " ".join(status) or "nothing"
    return Outcome(State.DEGRADED, f"the UPS reports an unusual status ({shown})", latency, data=data)
