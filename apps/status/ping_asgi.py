"""/ping/ without Django's middleware. Pings are token endpoints: no session, user, CSRF,
messages or access window applies, and running that stack on a thread per request cost
~16-25 ms of CPU per ping (bench/README.md). This handler reads the body and calls the same
services.ping_answer as the Django view."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from apps.status import services

PATH = re.compile(r"^/ping/(?P<uuid>[0-9a-fA-F-]{36})(?:/(?P<signal>start|fail|[0-9]{1,3}))?/?$")
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


def _answer(ping_uuid: str, signal: str, body: bytes) -> tuple[int, str]:
    try:
        return services.ping_answer(ping_uuid=ping_uuid, signal=signal, body=body)
    finally:
        close_old_connections()  # hand the connection back to the pool, as a request's end would


async def handle(scope: dict, receive: Receive, send: Send, match: re.Match) -> None:
    body = b""
    more = True
    while more:  # keep the first PING_BODY_LIMIT bytes, drain the rest
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        if len(body) < services.PING_BODY_LIMIT:
            body += message.get("body", b"")
        more = message.get("more_body", False)
    # thread_sensitive=False: pings run on the executor's threads in parallel, each with a
    # pooled connection, instead of queueing on Django's one thread-sensitive thread.
    status, text = await sync_to_async(_answer, thread_sensitive=False)(
        match["uuid"], match["signal"] or "success", body[: services.PING_BODY_LIMIT]
    )
    payload = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload if scope["method"] != "HEAD" else b""})
