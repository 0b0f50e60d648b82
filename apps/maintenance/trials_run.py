"""One trial answer: a prompt sent to one backend and model through the gateway's own upstream
code (apps/gateway/upstream.py: the same aiohttp session, SSE reader, timeouts and words for
failures as /v1 and the chat), streamed so that the time to the first token and the speed can
be measured. No policy and no fallback: a trial asks exactly the model it names.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from apps.gateway import relay, secrets, upstream
from apps.gateway.models import Backend
from apps.gateway.snapshot import BackendInfo

# Bounds of one answer: a model that rambles or stalls must not hold a small machine for long.
ANSWER_SECONDS = 180.0  # the whole answer, first token included
MAX_TOKENS = 1024
SEED = 42  # the same seed for both models, for the backends that take one
# A backend that ignores max_tokens (or sends huge "tokens") must not fill the database.
MAX_CHARACTERS = 32_000


@dataclass
class Measured:
    text: str = ""
    error: str = ""  # in words: the prompt fails, not the trial
    first_token_ms: int | None = None
    tokens: int | None = None
    tokens_per_second: float | None = None


def backend_info(backend: Backend) -> BackendInfo:
    """What upstream needs to reach a backend, its key read as the gateway reads it."""
    try:
        key, problem = secrets.backend_api_key(encrypted=backend.api_key_encrypted, env_name=backend.api_key_env), ""
    except secrets.KeyUnreadable as exc:
        key, problem = "", str(exc)
    return BackendInfo(
        backend.pk,
        backend.name,
        backend.kind,
        backend.base_url,
        backend.timeout,
        backend.service_id,
        api_key=key,
        key_problem=problem,
    )


def request_body(model: str, prompt: str) -> dict:
    """The same settings for both models: temperature 0 and a fixed seed, bounded length."""
    return {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": 0,
        "seed": SEED,
        "max_tokens": MAX_TOKENS,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


async def _answer(backend: BackendInfo, model: str, prompt: str) -> Measured:
    result = Measured()
    pieces: list[str] = []
    counted = length = 0
    usage_tokens: int | None = None
    started = time.perf_counter()
    first: float | None = None
    stream = await upstream.open_stream(backend, "/chat/completions", request_body(model, prompt))
    try:
        async for raw in stream.events():
            chunk = relay.checked_chunk(raw)  # the gateway's own check of a backend's chunk
            usage = chunk.get("usage") or {}
            if usage.get("completion_tokens"):
                usage_tokens = usage["completion_tokens"]
            for choice in chunk.get("choices") or ():
                text = (choice.get("delta") or {}).get("content") or ""
                if text:
                    if first is None:
                        first = time.perf_counter()
                    pieces.append(text)
                    counted += 1
                    length += len(text)
            if length > MAX_CHARACTERS:
                result.error = f"{backend.name} sent more than {MAX_CHARACTERS:,} characters; the answer was cut there"
                break
    finally:
        stream.close()
    ended = time.perf_counter()
    result.text = "".join(pieces)[:MAX_CHARACTERS]
    result.tokens = usage_tokens or counted
    if first is not None:
        result.first_token_ms = round((first - started) * 1000)
        generating = ended - first
        # Tokens after the first, over the time they took: the speed a reader sees.
        if result.tokens > 1 and generating > 0:
            result.tokens_per_second = round((result.tokens - 1) / generating, 1)
    if not result.text:
        result.error = f"{backend.name} answered with no text"
    return result


async def answer(backend: BackendInfo, model: str, prompt: str) -> Measured:
    """One measured answer; every failure is a Measured with `error` in words, never a raise."""
    if backend.key_problem:
        return Measured(error=f"{backend.name}: {backend.key_problem}")
    try:
        async with asyncio.timeout(ANSWER_SECONDS):
            return await _answer(backend, model, prompt)
    except TimeoutError:
        return Measured(error=f"{backend.name} did not finish within {ANSWER_SECONDS:g} s")
    except upstream.UpstreamError as exc:
        return Measured(error=f"{backend.name} {exc.for_owner()}")  # the owner's page only


def answer_now(backend: BackendInfo, model: str, prompt: str) -> Measured:
    """For the synchronous trial service (a Celery task): one event loop per answer, so its
    aiohttp session is closed with it. A loop costs far less than a token."""

    async def once() -> Measured:
        try:
            return await answer(backend, model, prompt)
        finally:
            await upstream.close_sessions()

    return asyncio.run(once())
