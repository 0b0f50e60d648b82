"""/ping/ without Django's middleware, and on Postgres without a thread: pings are token
endpoints (no session, user, CSRF, messages or access window applies), and the usual ping is
one UPDATE (services.ping_fast_sql) sent through this module's own small pool of async psycopg
connections. Whatever that statement leaves undone (an unknown uuid, the rate limit, a state
change, SQLite) goes to the same services.ping_slow as the Django view, on a thread.
bench/README.md has the figures."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections

from apps.status import services

PATH = re.compile(r"^/ping/(?P<uuid>[0-9a-fA-F-]{36})(?:/(?P<signal>start|fail|[0-9]{1,3}))?/?$")
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]
HEADERS = [(b"content-type", b"text/plain; charset=utf-8")]

# One pool per event loop (uvicorn runs one per worker process), opened on the first ping and
# closed at lifespan shutdown: (loop, task opening the pool). As large as Django's pool: a ping
# mostly waits for its commit, so the rate grows with the statements in flight (bench/README.md:
# 980 pings/s with 2 connections, 1,550 with 4, 2,400 with 8 on one worker).
_pool: tuple[asyncio.AbstractEventLoop, asyncio.Task] | None = None


def _slow(ping: services.Ping, row: tuple | None) -> str:
    try:
        return services.ping_slow(ping=ping, row=row)
    finally:
        close_old_connections()  # hand the connection back to the pool, as a request's end would


async def _open_pool():
    from psycopg_pool import AsyncConnectionPool

    params = connections["default"].get_connection_params()
    params.pop("cursor_factory", None)  # Django's sync cursor
    if "prepare_threshold" not in connections["default"].settings_dict["OPTIONS"]:
        params.pop("prepare_threshold", None)  # Django turns prepared statements off; ours may keep them
    params["autocommit"] = True  # one statement, one round trip: no BEGIN/COMMIT around it
    pool = AsyncConnectionPool(
        kwargs=params,
        min_size=1,
        max_size=settings.DB_POOL_SIZE,
        timeout=10,
        open=False,
        name="pings",
    )
    await pool.open()
    return pool


async def _connection_pool():
    global _pool
    loop = asyncio.get_running_loop()
    if _pool is None or _pool[0] is not loop:
        _pool = (loop, loop.create_task(_open_pool()))
    return await _pool[1]


async def close_pool() -> None:
    global _pool
    if _pool is not None and _pool[0] is asyncio.get_running_loop():
        pool, _pool = await _pool[1], None
        await pool.close()


async def _outcome(ping: services.Ping) -> str:
    if ping.ping_uuid is None:
        return services.UNKNOWN
    row = None
    if connections["default"].vendor == "postgresql":
        pool = await _connection_pool()
        async with pool.connection() as conn:
            cursor = await conn.execute(*services.ping_fast_sql(ping=ping))
            row = await cursor.fetchone()
        if services.ping_fast_done(ping=ping, row=row):
            return services.OK
    # thread_sensitive=False: slow pings run on the executor's threads in parallel, each with
    # a pooled Django connection, instead of queueing on Django's one thread-sensitive thread.
    return await sync_to_async(_slow, thread_sensitive=False)(ping, row)


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
    ping = services.ping_parse(ping_uuid=match["uuid"], signal=match["signal"] or "success", body=body)
    status, text = services.ANSWERS[await _outcome(ping)]
    payload = text.encode()
    headers = [*HEADERS, (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload if scope["method"] != "HEAD" else b""})
