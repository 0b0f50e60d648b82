"""Check kinds: async functions from a Probe (plain data) to an Outcome. No ORM here, so
the engine can run hundreds at once on one event loop.

The polling hot path uses aiohttp (bench/README.md has the figures that chose it);
everything else in HomeOps uses httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from apps.status.models import Kind, State


@dataclass(frozen=True)
class Probe:
    service_id: int
    kind: str
    check: dict[str, Any]
    timeout: float


@dataclass(frozen=True)
class Outcome:
    state: State
    message: str
    latency_ms: float | None = None
    version: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class CheckSettingsError(ValueError):
    """A check's settings cannot work (caught by validation before they are saved)."""


def parse_status_range(text: str) -> tuple[int, int]:
    """'200-399' or '204' -> (low, high)."""
    match = re.fullmatch(r"\s*(\d{3})\s*(?:-\s*(\d{3}))?\s*", str(text))
    if not match:
        raise CheckSettingsError(f"expected a status like 200 or 200-399, got {text!r}")
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if high < low:
        raise CheckSettingsError(f"the range {text!r} ends before it starts")
    return low, high


def json_path(document: Any, path: str) -> Any:
    """'models.0.name' -> document['models'][0]['name']; KeyError when absent."""
    value = document
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit():
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise KeyError(path)
    return value


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


async def check_http(probe: Probe, session: aiohttp.ClientSession) -> Outcome:
    check = probe.check
    low, high = parse_status_range(check.get("expect_status", "200-399"))
    start = time.perf_counter()
    try:
        async with session.get(
            check["url"], allow_redirects=True, ssl=None if check.get("verify_tls", True) else False
        ) as response:
            body = await response.text(errors="replace") if check.get("keyword") or check.get("json_path") else ""
            latency = _ms(start)
            status = response.status
            headers = response.headers
    except aiohttp.ClientConnectorError as exc:
        return Outcome(State.DOWN, f"refused the connection ({exc.os_error.strerror or 'no answer'})", _ms(start))
    except aiohttp.ClientError as exc:
        return Outcome(State.DOWN, f"the connection failed ({type(exc).__name__})", _ms(start))
    version = headers.get(check["version_header"], "") if check.get("version_header") else ""
    if not low <= status <= high:
        return Outcome(State.DOWN, f"answered {status} (expected {low}-{high})", latency, version)
    keyword = check.get("keyword")
    if keyword and keyword not in body:
        return Outcome(State.DOWN, f"answered {status} without the word {keyword!r}", latency, version)
    if check.get("json_path"):
        try:
            value = json_path(json.loads(body), check["json_path"])
        except (ValueError, KeyError, IndexError):
            return Outcome(State.DOWN, f"the answer has no {check['json_path']}", latency, version)
        expected = check.get("json_value")
        if expected is not None and str(value) != str(expected):
            return Outcome(State.DOWN, f"{check['json_path']} is {value!r}, expected {expected!r}", latency, version)
    degraded_ms = check.get("degraded_ms")
    if degraded_ms and latency > float(degraded_ms):
        return Outcome(State.DEGRADED, f"slow: answered in {latency:.0f} ms (over {degraded_ms} ms)", latency, version)
    return Outcome(State.UP, f"answered {status} in {latency:.0f} ms", latency, version)


async def check_tcp(probe: Probe, session: aiohttp.ClientSession) -> Outcome:
    host, port = probe.check["host"], int(probe.check["port"])
    start = time.perf_counter()
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        return Outcome(State.DOWN, f"port {port} refused the connection ({exc.strerror or 'no answer'})", _ms(start))
    latency = _ms(start)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return Outcome(State.UP, f"port {port} accepted a connection in {latency:.0f} ms", latency)


CHECKS: dict[str, Callable[[Probe, aiohttp.ClientSession], Awaitable[Outcome]]] = {
    Kind.HTTP: check_http,
    Kind.TCP: check_tcp,
}


async def run_probe(probe: Probe, session: aiohttp.ClientSession) -> Outcome:
    """One check with its own timeout; never raises, so one bad target cannot stop a round."""
    try:
        return await asyncio.wait_for(CHECKS[probe.kind](probe, session), probe.timeout)
    except TimeoutError:
        return Outcome(State.DOWN, f"did not answer within {probe.timeout:g} s")
    except CheckSettingsError as exc:
        return Outcome(State.DOWN, f"the check's settings are wrong: {exc}")
    except Exception as exc:  # a bug in one check must not take the round down
        return Outcome(State.DOWN, f"the check failed: {type(exc).__name__}")


async def run_probes(probes: list[Probe], *, concurrency: int = 100) -> list[Outcome]:
    """All probes at once, at most `concurrency` in flight; results in the same order."""
    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0, ttl_dns_cache=300)
    async with aiohttp.ClientSession(
        connector=connector, headers={"User-Agent": "HomeOps status check"}, trust_env=False
    ) as session:

        async def bounded(probe: Probe) -> Outcome:
            async with semaphore:
                return await run_probe(probe, session)

        return await asyncio.gather(*(bounded(p) for p in probes))
