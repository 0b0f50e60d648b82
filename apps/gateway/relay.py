"""The gateway's one path, for /v1 and for the chat app alike: policy, routing with
fallback before the first token, relaying with normalisation, and the audit row.

`stream_chat` is an async iterator: first an `Answered` (who answers, and why earlier
targets were passed over), then OpenAI chunk dicts, then possibly a `Broken` when the
backend fails mid-stream. Errors before the first token raise GatewayError. Closing the
iterator early (a client that went away, a stop button) closes the upstream connection.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.utils import timezone
from django.utils.formats import time_format

from apps.gateway import policy, snapshot, upstream
from apps.gateway.errors import GatewayError, bad_request
from apps.gateway.models import Endpoint
from apps.gateway.snapshot import BackendInfo, Identity, PolicyInfo, RouteInfo, TargetInfo

log = logging.getLogger(__name__)
T = TypeVar("T")  # what a target's answer is to its path: an opened stream, a whole document
SKIP_STATES = {"down", "unreachable"}  # the board says so: the backend is not asked


@dataclass
class Call:
    who: Identity
    endpoint: Endpoint
    body: dict[str, Any]
    client_ip: str | None = None


@dataclass(frozen=True)
class PassedOver:
    """A target that did not answer: passed over before asking (the status board holds it
    down, its key cannot be read: no model) or asked and failed (with the model asked)."""

    backend: str
    why: str
    model: str = ""

    def __str__(self) -> str:
        """ "studio (llama3.1:8b): refused the connection (nothing is listening there)",
        "studio: the status board holds it down"."""
        return f"{self.backend} ({self.model}): {self.why}" if self.model else f"{self.backend}: {self.why}"


@dataclass(frozen=True)
class Answered:
    alias: str
    backend: str
    model: str
    fallback: bool
    passed_over: tuple[PassedOver, ...] = ()  # those ahead of the target that answered


@dataclass(frozen=True)
class Broken:
    error: GatewayError


@dataclass
class Record:
    """What the audit row will say; filled in as the request goes."""

    call: Call
    started: float = field(default_factory=time.perf_counter)
    created: Any = field(default_factory=timezone.now)
    alias: str = ""
    backend: str = ""
    model: str = ""
    fallback: bool = False
    status: int = 200
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ttft_ms: float | None = None
    error: str = ""
    content: dict | None = None

    def first_token(self) -> None:
        if self.ttft_ms is None:
            self.ttft_ms = (time.perf_counter() - self.started) * 1000


# --- Checks and request bodies -------------------------------------------------------------


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # [{"type": "text", "text": ...}, {"type": "image_url", ...}]
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def estimate_tokens(text: str) -> int:
    """About four characters a token: used only when a backend reports no usage."""
    return math.ceil(len(text) / 4) if text else 0


def prompt_estimate(messages: list[dict]) -> int:
    return sum(estimate_tokens(_text_of(m.get("content"))) + 4 for m in messages)


def validate_chat(body: dict) -> None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise bad_request("Say which model to use: 'model' is missing.", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' must be a non-empty list.", "messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise bad_request(f"messages[{index}] needs a 'role'.", f"messages[{index}]")
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise bad_request(f"'{name}' must be a positive whole number.", name)
    if not isinstance(body.get("stream", False), bool):
        raise bad_request("'stream' must be true or false.", "stream")
    n = body.get("n")
    if n is not None and (isinstance(n, bool) or n != 1):  # 64 answers would pass the budget check as one
        raise bad_request("HomeOps gives one answer per request: 'n' must be 1 or left out.", "n")


def chat_body(body: dict, target: TargetInfo, prompt: str | None, *, stream: bool) -> dict:
    out = {k: v for k, v in body.items() if k not in ("max_completion_tokens", "stream_options")}
    out["model"] = target.model
    requested = body.get("max_tokens") or body.get("max_completion_tokens")
    # Always a limit upstream: a runaway answer must not hold the Studio for minutes.
    out["max_tokens"] = min(requested, target.max_tokens) if requested else target.max_tokens
    out["stream"] = stream
    if stream:
        out["stream_options"] = {"include_usage": True}
    if prompt:  # the owner's locked system prompt replaces the member's own
        kept = [m for m in body["messages"] if m.get("role") not in ("system", "developer")]
        out["messages"] = [{"role": "system", "content": prompt}, *kept]
    return out


async def _prepare(call: Call, workload: str, validate) -> tuple[RouteInfo, PolicyInfo, Record, policy.StreamSlot]:
    """Every check before a backend is asked; a refusal is audited too."""
    snap = await snapshot.current()
    now = timezone.now()
    record = Record(call, alias=str(call.body.get("model") or "")[:64])
    try:
        validate(call.body)
        route, rules = policy.route_for(snap, call.who, call.body["model"], workload)
        policy.check_quiet(rules, now)
        await policy.check_budget(rules, call.who, now)
        slot = policy.take_stream(rules, call.who)
    except GatewayError as exc:
        record.status, record.error = exc.status, exc.message
        finish(record)
        raise
    if snap.log_content:
        record.content = {"request": {k: call.body.get(k) for k in ("messages", "input") if k in call.body}}
    return route, rules, record, slot


# --- Fallback: one walk of the route, for streamed and whole answers alike ------------------


def _held_back(backend: BackendInfo, states: dict) -> str:
    """Why this target is passed over without asking its backend, or "" to ask it."""
    if backend.key_problem:
        return backend.key_problem
    state, since, label = states.get(backend.service_id, ("unknown", None, ""))
    if backend.service_id and state in SKIP_STATES:
        when = f" since {time_format(timezone.localtime(since), 'H:i')}" if since else ""
        return f"the status board holds {label or backend.name} {state}{when}"
    return ""


async def _ask_in_time(target: TargetInfo, ask: Callable[[TargetInfo], Awaitable[T]]) -> T:
    """The backend's timeout bounds the whole wait for an answer to begin. The socket's read
    timeout alone would not: keep-alive comments in a stream, or spaces before a JSON answer,
    reset it for as long as the backend likes, and the fallback would never come."""
    timeout = target.backend.timeout
    try:
        async with asyncio.timeout(timeout):
            return await ask(target)
    except TimeoutError as exc:
        raise upstream.UpstreamError(f"no answer within {timeout:g} s", timeout=True) from exc


async def _first_answer(
    route: RouteInfo, record: Record, ask: Callable[[TargetInfo], Awaitable[T]]
) -> tuple[Answered, T]:
    """Ask the route's targets in order until one answers, and say who did on the audit row.

    `ask` sends to one target and returns what the caller relays (an opened stream, a whole
    answer); an UpstreamError from it, or no answer in time, moves on to the next target.
    Every target passed over (held back by the status board or its key, or failed) is noted
    in route order; only those ahead of the one that answers make it a fallback, so a target
    listed after it never does. When none answers, the GatewayError names them all."""
    states = await snapshot.service_states()  # read once: no probe on the request path
    passed: list[PassedOver] = []
    tried = timeouts = 0
    for target in route.targets:
        backend = target.backend
        if why := _held_back(backend, states):
            passed.append(PassedOver(backend.name, why))
            continue
        tried += 1
        try:
            answer = await _ask_in_time(target, ask)
        except upstream.UpstreamError as exc:
            timeouts += exc.timeout
            passed.append(PassedOver(backend.name, exc.reason, target.model))
            continue
        record.backend, record.model, record.fallback = backend.name, target.model, bool(passed)
        return Answered(route.alias, backend.name, target.model, record.fallback, tuple(passed)), answer
    raise _all_failed(route.alias, passed, tried, timeouts)


def _all_failed(alias: str, notes: list[PassedOver], tried: int, timeouts: int) -> GatewayError:
    why = "; ".join(map(str, notes)) or "the route has no targets"
    if tried and timeouts == tried:
        return GatewayError(504, f"'{alias}' timed out: {why}.", type="server_error", code="upstream_timeout")
    if tried:
        return GatewayError(
            502, f"Every backend for '{alias}' failed: {why}.", type="server_error", code="backends_failed"
        )
    return GatewayError(
        503, f"Every backend for '{alias}' is unavailable: {why}.", type="server_error", code="backends_unavailable"
    )


# --- Backend answers, checked ----------------------------------------------------------------
# A backend's JSON is checked before the code below touches it: `{"choices": [null]}` or a
# usage of "many" must end in an UpstreamError (fallback, or a cut-off answer), not a crash.

TEXT_FIELDS = ("content", "reasoning_content", "reasoning")


def _usage_ok(usage: Any) -> bool:
    """No usage, or token counts the audit row's integer columns and the budget can hold."""
    if usage is None:
        return True
    if not isinstance(usage, dict):
        return False
    counts = (usage.get(name) for name in ("prompt_tokens", "completion_tokens"))
    return all(n is None or (isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**31) for n in counts)


def _malformed(what: str) -> upstream.UpstreamError:
    return upstream.UpstreamError(f"sent {what} that is not in OpenAI's format")


def _is_text(value: Any) -> bool:
    """None or a string of valid Unicode: a lone surrogate (JSON's "\\ud800") cannot be saved."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _delta_ok(choice: Any) -> bool:
    """A streamed choice the relay and the chat can read: a dict, its delta a dict, its texts text."""
    delta = (choice.get("delta") or {}) if isinstance(choice, dict) else None
    return isinstance(delta, dict) and all(_is_text(delta.get(name)) for name in TEXT_FIELDS)


def checked_chunk(chunk: dict) -> dict:
    choices = chunk.get("choices")
    if choices is not None and not (isinstance(choices, list) and all(_delta_ok(c) for c in choices)):
        raise _malformed("a chunk")
    if not _usage_ok(chunk.get("usage")):
        raise _malformed("token counts")
    return chunk


def checked_completion(document: dict) -> dict:
    choices = document.get("choices")
    if not (
        isinstance(choices, list)
        and all(isinstance(c, dict) and isinstance(c.get("message") or {}, dict) for c in choices)
    ):
        raise _malformed("an answer")
    if not _usage_ok(document.get("usage")):
        raise _malformed("token counts")
    return document


def checked_embeddings(document: dict) -> dict:
    if not isinstance(document.get("data"), list) or not _usage_ok(document.get("usage")):
        raise _malformed("embeddings")
    return document


def _begins_answer(chunk: dict) -> bool:
    """True once a chunk carries more than the role: text, reasoning, a tool call, an end, usage."""
    if chunk.get("usage"):
        return True
    for choice in chunk.get("choices") or ():
        if choice.get("finish_reason") or any(v for k, v in (choice.get("delta") or {}).items() if k != "role"):
            return True
    return False


# --- Streaming chat ------------------------------------------------------------------------


def _normalise(chunk: dict, response_id: str, alias: str, created: int) -> int:
    """Make every backend's chunk look like OpenAI's; returns 1 when it carries text."""
    chunk["id"] = response_id  # Ollama repeats ids across answers
    chunk["object"] = "chat.completion.chunk"
    chunk["model"] = alias
    chunk.setdefault("created", created)
    pieces = 0
    for choice in chunk.get("choices") or ():
        delta = choice.get("delta") or {}
        if "reasoning" in delta and "reasoning_content" not in delta:
            delta["reasoning_content"] = delta.pop("reasoning")
        if delta.get("content") or delta.get("reasoning_content"):
            pieces = 1
    return pieces


@dataclass
class Opened:
    """A target that has begun to answer: its stream, and the chunks read while waiting for
    the first content (the role chunk, then the first text), to relay before the rest."""

    stream: upstream.Stream
    events: AsyncIterator[dict]
    leading: list[dict]


async def _open(target: TargetInfo, body: dict) -> Opened:
    """Ask one target and read its answer up to the first content (the whole wait is bounded
    by _ask_in_time). Whatever ends the wait early, a failure, the timeout or a client that
    went away, closes the connection: the backend must stop generating for nobody."""
    stream = await upstream.open_stream(target.backend, "/chat/completions", body)
    try:
        events = stream.events()
        leading: list[dict] = []
        async for chunk in events:
            leading.append(checked_chunk(chunk))
            if _begins_answer(chunk):
                break
        if not leading:
            raise upstream.UpstreamError("sent nothing")
    except BaseException:
        stream.close()
        raise
    return Opened(stream, events, leading)


@dataclass
class Relaying:
    """One streamed answer on its way to the client: the id and time every chunk carries, the
    backend's own token counts when it sends them, the text kept when content logging is on."""

    record: Record
    alias: str
    include_usage: bool  # the client asked for a last chunk with the token counts
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex[:24]}")
    created: int = field(default_factory=lambda: int(time.time()))
    usage: dict | None = None
    answer: list[str] = field(default_factory=list)

    def relayed(self, chunk: dict) -> dict | None:
        """The chunk as the client gets it, counted; None for one that only carries usage."""
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        if not chunk.get("choices"):
            return None
        if _normalise(chunk, self.id, self.alias, self.created):
            self.record.first_token()
            self.record.completion_tokens += 1
            if self.record.content is not None:
                self.answer.extend((c.get("delta") or {}).get("content") or "" for c in chunk["choices"])
        if self.include_usage:  # OpenAI's clients expect null on every chunk but the last
            chunk["usage"] = None
        else:
            chunk.pop("usage", None)
        return chunk

    def counted(self, prompt_guess: int) -> dict | None:
        """At the end: the backend's counts over ours, and the usage chunk if the client asked."""
        record = self.record
        record.prompt_tokens = (self.usage or {}).get("prompt_tokens") or prompt_guess
        if self.usage and self.usage.get("completion_tokens"):
            record.completion_tokens = self.usage["completion_tokens"]
        if not self.include_usage:
            return None
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.alias,
            "choices": [],
            "usage": _usage(record),
        }


def _cut_off(record: Record, backend: str, reason: str) -> Broken:
    record.status, record.error = 502, f"{backend}: {reason} (after {record.completion_tokens} tokens)"
    message = f"The answer was cut off: {backend} {reason}."
    return Broken(GatewayError(502, message, type="server_error", code="stream_interrupted"))


def _relay_failed(record: Record, exc: Exception) -> GatewayError:
    """A bug, or a backend answer nobody foresaw: the owner finds it in the log."""
    log.exception("gateway: relaying '%s' failed", record.alias)
    record.status = 500
    record.error = f"HomeOps failed while relaying ({type(exc).__name__}) after {record.completion_tokens} tokens"
    return GatewayError(
        500,
        "HomeOps failed while relaying the answer; the owner can see why in the log.",
        type="server_error",
        code="relay_failed",
    )


async def stream_chat(call: Call) -> AsyncGenerator[Answered | dict | Broken, None]:
    route, rules, record, slot = await _prepare(call, "chat", validate_chat)
    include_usage = bool((call.body.get("stream_options") or {}).get("include_usage"))
    relaying = Relaying(record, route.alias, include_usage)
    prompt_guess = prompt_estimate(call.body["messages"])
    prompt = rules.system_prompts.get(route.alias)
    opened: Opened | None = None
    try:
        answered, reply = await _first_answer(
            route, record, lambda target: _open(target, chat_body(call.body, target, prompt, stream=True))
        )
        opened = reply  # from here on, closed in `finally`
        yield answered
        while (event := await _next_chunk(reply, relaying)) is not None:
            yield event
            if isinstance(event, Broken):
                return
        if last := relaying.counted(prompt_guess):
            yield last
    except GatewayError as exc:
        record.status, record.error = exc.status, exc.message
        raise
    except Exception as exc:  # never a crash mid-stream: an error event, and the audit row says so
        error = _relay_failed(record, exc)
        if opened is None:  # nothing sent yet: the caller answers with the error itself
            raise error from exc
        yield Broken(error)
    except (asyncio.CancelledError, GeneratorExit):
        if record.status == 200:  # not after a Broken: that one is already recorded
            record.status, record.error = 499, f"the client went away after {record.completion_tokens} tokens"
        raise
    finally:
        if opened is not None:
            opened.stream.close()
        slot.release()
        if record.status != 200 and not record.prompt_tokens:
            record.prompt_tokens = prompt_guess if record.backend else 0
        if record.content is not None:
            record.content["answer"] = "".join(relaying.answer)
        finish(record)


async def _next_chunk(opened: Opened, relaying: Relaying) -> dict | Broken | None:
    """The next chunk for the client (those read while waiting for the first content come
    first), None at the end of the answer, or a Broken when the backend fails now: never a
    retry, since the client already has our first bytes."""
    while True:
        try:
            chunk = opened.leading.pop(0) if opened.leading else checked_chunk(await anext(opened.events))
        except StopAsyncIteration:
            return None
        except upstream.UpstreamError as exc:
            return _cut_off(relaying.record, opened.stream.backend.name, exc.reason)
        if (relayed := relaying.relayed(chunk)) is not None:
            return relayed


def _usage(record: Record) -> dict:
    return {
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "total_tokens": record.prompt_tokens + record.completion_tokens,
    }


# --- Whole answers -------------------------------------------------------------------------


async def _whole(call: Call, workload: str, path: str, make_body, validate, check) -> tuple[Answered, dict, Record]:
    route, rules, record, slot = await _prepare(call, workload, validate)

    async def ask(target: TargetInfo) -> dict:
        return check(await upstream.post_json(target.backend, path, make_body(target, rules, route)))

    try:
        answered, document = await _first_answer(route, record, ask)
        record.first_token()
        return answered, document, record
    except GatewayError as exc:
        record.status, record.error = exc.status, exc.message
        finish(record)
        raise
    except asyncio.CancelledError:
        record.status, record.error = 499, "the client went away"
        finish(record)
        raise
    except Exception as exc:
        error = _relay_failed(record, exc)
        finish(record)
        raise error from exc
    finally:
        slot.release()


async def complete_chat(call: Call) -> tuple[Answered, dict]:
    def make_body(target, rules, route):
        return chat_body(call.body, target, rules.system_prompts.get(route.alias), stream=False)

    answered, document, record = await _whole(
        call, "chat", "/chat/completions", make_body, validate_chat, checked_completion
    )
    document["id"] = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    document["model"] = answered.alias
    document.setdefault("object", "chat.completion")
    text = ""
    for choice in document.get("choices") or ():
        message = choice.get("message") or {}
        if "reasoning" in message and "reasoning_content" not in message:
            message["reasoning_content"] = message.pop("reasoning")
        text += _text_of(message.get("content"))
    usage = document.get("usage") or {}
    record.prompt_tokens = usage.get("prompt_tokens") or prompt_estimate(call.body["messages"])
    record.completion_tokens = usage.get("completion_tokens") or estimate_tokens(text)
    document["usage"] = {**usage, **_usage(record)}
    if record.content is not None:
        record.content["answer"] = text
    finish(record)
    return answered, document


def validate_embeddings(body: dict) -> None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise bad_request("Say which model to use: 'model' is missing.", "model")
    inputs = body.get("input")
    if not (isinstance(inputs, str) and inputs) and not (isinstance(inputs, list) and inputs):
        raise bad_request("'input' must be a string or a non-empty list.", "input")


async def embed(call: Call) -> tuple[Answered, dict]:
    body = call.body

    def make_body(target, rules, route):
        return {**body, "model": target.model}

    answered, document, record = await _whole(
        call, "embeddings", "/embeddings", make_body, validate_embeddings, checked_embeddings
    )
    document["model"] = answered.alias
    usage = document.get("usage") or {}
    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
    text = " ".join(item for item in inputs if isinstance(item, str))
    record.prompt_tokens = usage.get("prompt_tokens") or estimate_tokens(text)
    document["usage"] = {"prompt_tokens": record.prompt_tokens, "total_tokens": record.prompt_tokens}
    finish(record)
    return answered, document


# --- After the answer ----------------------------------------------------------------------


def finish(record: Record) -> None:
    """Hand the audit row to the writer thread, after the answer is on its way."""
    from apps.gateway import audit

    audit.writer.put(audit.entry_values(record))


async def settle() -> None:
    """Wait until the audit rows handed over so far are written (tests, shutdown)."""
    from apps.gateway import audit

    await asyncio.get_running_loop().run_in_executor(None, audit.writer.flush)
