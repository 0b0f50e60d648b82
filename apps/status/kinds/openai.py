"""openai: an OpenAI-compatible model server (MLX, llama.cpp, vLLM, LM Studio) lists its
models at /v1/models, including the ones the household expects."""

from __future__ import annotations

import time
from typing import Any

import aiohttp

from apps.core.wording import and_list, plural
from apps.status.kinds import register
from apps.status.kinds.base import (
    CheckKind,
    CheckSettingsError,
    Failed,
    Outcome,
    Probe,
    base_url,
    env_name_rule,
    flag_rule,
    get_json,
    milliseconds_rule,
    models_rule,
    ms,
    secret_from_env,
    slow,
    url_rule,
    verify,
)
from apps.status.models import Kind, State


def missing_models(expected: Any, present: list[str], *, latest_tag: bool = False) -> list[str]:
    """Expected model names the server does not offer. With `latest_tag` (Ollama), "llama3"
    also matches "llama3:latest", as `ollama run llama3` does."""
    if not expected:
        return []
    if not isinstance(expected, list) or not all(isinstance(m, str) and m for m in expected):
        raise CheckSettingsError("expect_models must be a list of model names")
    offered = set(present)
    if latest_tag:
        offered |= {name.removesuffix(":latest") for name in present}
    return [name for name in expected if name not in offered]


def models_outcome(check: dict[str, Any], names: list[str], up: str, latency: float, **kw: Any) -> Outcome:
    """The verdict of a model server that answered: expected models missing, none, slow or up."""
    missing = missing_models(check.get("expect_models"), names, latest_tag=kw.pop("latest_tag", False))
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        return Outcome(State.DEGRADED, f"answers, but {and_list(missing)} {verb} missing", latency, **kw)
    if not names:
        return Outcome(State.DEGRADED, "answers, but offers no models", latency, **kw)
    if too_slow := slow(check, latency):
        return Outcome(State.DEGRADED, too_slow, latency, **kw)
    return Outcome(State.UP, up, latency, **kw)


@register
class OpenAI(CheckKind):
    kind = Kind.OPENAI
    summary = "an OpenAI-compatible model server (MLX, llama.cpp, vLLM) lists the models you expect"
    options = {
        "url": url_rule,
        "expect_models": models_rule,
        "api_key_env": env_name_rule,
        "degraded_ms": milliseconds_rule,
        "verify_tls": flag_rule,
    }
    required = frozenset({"url"})

    async def run(self, probe: Probe, session: aiohttp.ClientSession) -> Outcome:
        check = probe.check
        headers = {}
        if check.get("api_key_env"):
            headers["Authorization"] = f"Bearer {secret_from_env(check['api_key_env'], 'api_key_env')}"
        url = base_url(check.get("url"), "/v1") + "/v1/models"
        start = time.perf_counter()
        try:
            document = await get_json(session, url, start=start, ssl=verify(check), headers=headers)
        except Failed as failed:
            return failed.outcome
        latency = ms(start)
        rows = document.get("data") if isinstance(document, dict) else None
        if not isinstance(rows, list):
            return Outcome(State.DOWN, "/v1/models did not list any models", latency)
        names = [str(row.get("id")) for row in rows if isinstance(row, dict) and row.get("id")]
        data = {"models": len(names)}
        return models_outcome(check, names, f"answers with {plural(len(names), 'model')}", latency, data=data)
