"""ollama: Ollama's own API lists the installed models (/api/tags), with the ones in memory
(/api/ps) and its version (/api/version) when it has them."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import aiohttp

from apps.core.wording import plural
from apps.status.kinds import register
from apps.status.kinds.base import (
    CheckKind,
    Failed,
    Outcome,
    Probe,
    base_url,
    flag_rule,
    get_json,
    milliseconds_rule,
    models_rule,
    ms,
    url_rule,
    verify,
    version_text,
)
from apps.status.kinds.openai import models_outcome
from apps.status.models import Kind, State


@register
class Ollama(CheckKind):
    kind = Kind.OLLAMA
    summary = "Ollama answers and has the models you expect installed"
    options = {
        "url": url_rule,
        "expect_models": models_rule,
        "degraded_ms": milliseconds_rule,
        "verify_tls": flag_rule,
    }
    required = frozenset({"url"})

    async def run(self, probe: Probe, session: aiohttp.ClientSession) -> Outcome:
        check = probe.check
        base = base_url(check.get("url"))
        start = time.perf_counter()
        try:
            tags = await get_json(session, f"{base}/api/tags", start=start, ssl=verify(check))
        except Failed as failed:
            return failed.outcome
        latency = ms(start)  # of /api/tags, the call that says Ollama answers
        # /api/ps and /api/version only enrich the message: an older Ollama without them is still up.
        loaded: list[str] | None = None
        version = ""
        with contextlib.suppress(Failed, AttributeError, TypeError):
            ps = await get_json(session, f"{base}/api/ps", start=start, ssl=verify(check))
            loaded = [str(m.get("name")) for m in ps.get("models") or [] if isinstance(m, dict)]
        with contextlib.suppress(Failed, KeyError, TypeError):
            version = version_text(
                (await get_json(session, f"{base}/api/version", start=start, ssl=verify(check)))["version"]
            )
        rows = tags.get("models") if isinstance(tags, dict) else None
        if not isinstance(rows, list):
            return Outcome(State.DOWN, "/api/tags did not list any models", latency, version)
        names = [str(m.get("name") or m.get("model")) for m in rows if isinstance(m, dict)]
        up = plural(len(names), "model")
        data: dict[str, Any] = {"models": len(names)}
        if loaded is not None:
            data["loaded"] = len(loaded)
            up += f", {len(loaded)} loaded ({', '.join(loaded)})" if loaded else ", none loaded"
        return models_outcome(check, names, up, latency, version=version, data=data, latest_tag=True)
