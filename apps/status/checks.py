"""Running checks: each probe by its kind (apps/status/kinds/), concurrently on one event loop
with aiohttp, each within its own timeout. No ORM here: engine.py loads and records."""

from __future__ import annotations

import asyncio

import aiohttp

from apps.status.kinds import kind_for
from apps.status.kinds.base import CheckSettingsError, Outcome, Probe
from apps.status.models import State


async def run_probe(probe: Probe, session: aiohttp.ClientSession) -> Outcome:
    """One check with its own timeout; never raises, so one bad target cannot stop a round."""
    try:
        return await asyncio.wait_for(kind_for(probe.kind).run(probe, session), probe.timeout)
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
