"""/v1: OpenAI's wire format, answered ahead of Django's middleware.

Sessions, CSRF, messages and the access-window middleware are for pages; an API key
request pays for none of them (bench/README.md: they alone added ~4-6 ms to the first
token). Everything below the wire format lives in relay.py and is shared with the chat app.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from django.utils import timezone

from apps.gateway import keys, policy, relay, snapshot
from apps.gateway.errors import GatewayError, bad_request
from apps.gateway.models import Endpoint

log = logging.getLogger(__name__)
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]
PREFIX = "/v1/"
BODY_LIMIT = 8 * 1024 * 1024  # images in a message can be large; anything beyond is a mistake
ROUTES = {
    "/v1/models": "GET",
    "/v1/chat/completions": "POST",
    "/v1/embeddings": "POST",
}


def _json_headers(extra: list | None = None) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json"), (b"cache-control", b"no-store"), *(extra or [])]


async def _send_json(send: Send, status: int, document: dict, headers: list | None = None) -> None:
    payload = json.dumps(document).encode()
    await send({"type": "http.response.start", "status": status, "headers": _json_headers(headers)})
    await send({"type": "http.response.body", "body": payload})


async def _send_error(send: Send, error: GatewayError) -> None:
    headers = [(b"retry-after", str(error.retry_after).encode())] if error.retry_after else []
    await _send_json(send, error.status, error.body(), headers)


def _answered_headers(answered: relay.Answered) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-homeops-backend", answered.backend.encode()),
        (b"x-homeops-model", answered.model.encode("utf-8", "replace")),
    ]
    if answered.fallback:
        headers.append((b"x-homeops-fallback", b"true"))
    return headers


def _identity(scope: dict, snap: snapshot.Snapshot) -> snapshot.Identity:
    auth = ""
    for name, value in scope["headers"]:
        if name == b"authorization":
            auth = value.decode("latin-1")
            break
    scheme, _, key = auth.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise GatewayError(401, "Send your HomeOps API key as 'Authorization: Bearer <key>'.", code="invalid_api_key")
    who = snap.keys.get(keys.hash_key(key.strip()))
    if who is None:
        raise GatewayError(401, "This API key is not valid or was revoked.", code="invalid_api_key")
    if not who.window_open(timezone.now()):
        raise GatewayError(401, "Your access to HomeOps is closed right now.", code="access_closed")
    return who


async def _read_body(receive: Receive) -> bytes | None:
    """The request body, or None when the client left first."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > BODY_LIMIT:
            raise GatewayError(413, "The request body is larger than 8 MB.", code="body_too_large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _parse(raw: bytes) -> dict:
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise bad_request(f"The body is not valid JSON: {exc}.") from exc
    except RecursionError as exc:  # '[' * 100000: Python's parser gives up; a client mistake, not ours
        raise bad_request("The body is JSON nested too deeply.") from exc
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.")
    return body


async def handle(scope: dict, receive: Receive, send: Send) -> None:
    path = scope["path"].rstrip("/")
    try:
        method = ROUTES.get(path)
        if method is None:
            raise GatewayError(404, f"Unknown endpoint {scope['path']}.", code="unknown_url")
        if scope["method"] != method:
            raise GatewayError(405, f"{path} takes {method}.", code="method_not_allowed")
        snap = await snapshot.current()
        who = _identity(scope, snap)
        if path == "/v1/models":
            await _models(send, snap, who)
            return
        raw = await _read_body(receive)
        if raw is None:
            return
        endpoint = Endpoint.EMBEDDINGS if path == "/v1/embeddings" else Endpoint.CHAT_COMPLETIONS
        call = relay.Call(who=who, endpoint=endpoint, body=_parse(raw), client_ip=(scope.get("client") or [None])[0])
        if path == "/v1/embeddings":
            await _until_disconnect(receive, _whole(send, relay.embed, call))
        elif call.body.get("stream"):
            await _until_disconnect(receive, _stream(send, call))
        else:
            await _until_disconnect(receive, _whole(send, relay.complete_chat, call))
    except GatewayError as error:
        await _send_error(send, error)
    except Exception:  # a bug must still answer in OpenAI's shape, and never log the key
        log.exception("gateway: %s %s failed", scope["method"], path)
        await _send_error(
            send,
            GatewayError(500, "HomeOps failed on this request; the owner can see why in the log.", type="server_error"),
        )


async def _models(send: Send, snap: snapshot.Snapshot, who: snapshot.Identity) -> None:
    data = [
        {"id": route.alias, "object": "model", "created": 0, "owned_by": "homeops", "description": route.description}
        for route in policy.allowed_aliases(snap, who)
    ]
    await _send_json(send, 200, {"object": "list", "data": data})


async def _until_disconnect(receive: Receive, work: Awaitable[None]) -> None:
    """Run `work`; a client that hangs up cancels it, which closes the upstream request."""
    task = asyncio.ensure_future(work)

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        task.cancel()

    watcher = asyncio.ensure_future(watch())
    try:
        await task
    except asyncio.CancelledError:
        if not watcher.done():
            raise  # we were cancelled ourselves, not by the client
    finally:
        watcher.cancel()


async def _whole(send: Send, function, call: relay.Call) -> None:
    try:
        answered, document = await function(call)
    except GatewayError as error:
        await _send_error(send, error)
        return
    await _send_json(send, 200, document, _answered_headers(answered))


def _event(document: dict) -> bytes:
    return b"data: " + json.dumps(document, separators=(",", ":")).encode() + b"\n\n"


async def _stream(send: Send, call: relay.Call) -> None:
    started = False
    async with contextlib.aclosing(relay.stream_chat(call)) as events:
        try:
            async for event in events:
                if isinstance(event, relay.Answered):
                    headers = [
                        (b"content-type", b"text/event-stream; charset=utf-8"),
                        (b"cache-control", b"no-cache"),
                        (b"x-accel-buffering", b"no"),  # nginx: do not hold the tokens back
                        *_answered_headers(event),
                    ]
                    await send({"type": "http.response.start", "status": 200, "headers": headers})
                    started = True
                elif isinstance(event, relay.Broken):
                    await send({"type": "http.response.body", "body": _event(event.error.body()), "more_body": True})
                    break
                else:
                    await send({"type": "http.response.body", "body": _event(event), "more_body": True})
            else:
                await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": True})
        except GatewayError as error:
            if started:
                await send({"type": "http.response.body", "body": _event(error.body()), "more_body": True})
            else:
                await _send_error(send, error)
                return
        except Exception:
            if not started:
                raise  # handle() answers 500 in OpenAI's shape
            # The response has begun: a second http.response.start would be refused. End this one.
            log.exception("gateway: streaming %s failed", call.body.get("model"))
            failed = GatewayError(500, "HomeOps failed while streaming the answer.", type="server_error")
            await send({"type": "http.response.body", "body": _event(failed.body()), "more_body": True})
    await send({"type": "http.response.body", "body": b""})
