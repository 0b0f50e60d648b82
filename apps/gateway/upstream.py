"""Talking to the backends: aiohttp, one session per event loop, SSE read line by line.

aiohttp rather than httpx on this hot path: relaying 40-chunk streams at 20 concurrent cost
1.8 ms CPU per stream against httpx's 5.3-6.0 ms on the 2-core NAS (bench/README.md).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import AsyncIterator

import aiohttp
import httpx

from apps.gateway.snapshot import BackendInfo

_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = weakref.WeakKeyDictionary()


class UpstreamError(Exception):
    """The backend could not answer. `timeout` marks a backend that was too slow."""

    def __init__(self, reason: str, *, timeout: bool = False, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.timeout, self.status = reason, timeout, status


def session() -> aiohttp.ClientSession:
    loop = asyncio.get_running_loop()
    current = _sessions.get(loop)
    if current is None or current.closed:
        connector = aiohttp.TCPConnector(limit=200, limit_per_host=100, ttl_dns_cache=300)
        current = _sessions[loop] = aiohttp.ClientSession(
            connector=connector, auto_decompress=True, raise_for_status=False, trust_env=False
        )
    return current


async def close_sessions() -> None:
    loop = asyncio.get_running_loop()
    current = _sessions.pop(loop, None)
    if current is not None:
        await current.close()


def _headers(backend: BackendInfo) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if backend.api_key:
        headers["Authorization"] = f"Bearer {backend.api_key}"
    return headers


def _reason(exc: BaseException, backend: BackendInfo) -> UpstreamError:
    if isinstance(exc, asyncio.TimeoutError):
        return UpstreamError(f"no answer within {backend.timeout:g} s", timeout=True)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return UpstreamError(
            f"cannot connect ({exc.os_error.strerror or exc.os_error})" if exc.os_error else "cannot connect"
        )
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return UpstreamError("closed the connection")
    return UpstreamError(f"{type(exc).__name__}: {exc}"[:200])


def _upstream_message(status: int, text: str) -> str:
    try:
        message = json.loads(text)["error"]
        message = message.get("message", message) if isinstance(message, dict) else message
    except (ValueError, KeyError, TypeError):
        message = text.strip()
    return f"answered {status}" + (f": {str(message)[:160]}" if message else "")


async def post_json(backend: BackendInfo, path: str, body: dict) -> dict:
    """A whole (non-streamed) answer. Falls back on connect errors, timeouts, 404 and 5xx."""
    timeout = aiohttp.ClientTimeout(total=None, connect=backend.timeout, sock_read=backend.timeout)
    try:
        async with session().post(
            f"{backend.openai_root}{path}", json=body, headers=_headers(backend), timeout=timeout
        ) as response:
            text = await response.text()
            if response.status != 200:
                raise UpstreamError(_upstream_message(response.status, text), status=response.status)
            return json.loads(text)
    except UpstreamError:
        raise
    except ValueError as exc:
        raise UpstreamError("answered something that is not JSON") from exc
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise _reason(exc, backend) from exc


class Stream:
    """An open streamed answer: the response is open, the first event not yet read."""

    def __init__(self, backend: BackendInfo, response: aiohttp.ClientResponse) -> None:
        self.backend, self.response = backend, response

    async def events(self) -> AsyncIterator[dict]:
        """Each `data:` event as a dict, until `[DONE]` or the end of the body."""
        data: list[bytes] = []
        try:
            async for raw in self.response.content:
                line = raw.rstrip(b"\r\n")
                if line.startswith(b"data:"):
                    data.append(line[5:].lstrip())
                    continue
                if line or not data:
                    continue  # comments (": keep-alive"), event names, stray blank lines
                payload, data = b"\n".join(data), []
                if payload == b"[DONE]":
                    return
                yield json.loads(payload)
            if data and data != [b"[DONE]"]:
                yield json.loads(b"\n".join(data))
            raise UpstreamError("stopped before the end of the answer")
        except UpstreamError:
            raise
        except ValueError as exc:
            raise UpstreamError("sent an event that is not JSON") from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _reason(exc, self.backend) from exc

    def close(self) -> None:
        self.response.close()  # drops the connection: the backend stops generating


async def open_stream(backend: BackendInfo, path: str, body: dict) -> Stream:
    timeout = aiohttp.ClientTimeout(total=None, connect=backend.timeout, sock_read=backend.timeout)
    try:
        response = await session().post(
            f"{backend.openai_root}{path}", json=body, headers=_headers(backend), timeout=timeout
        )
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise _reason(exc, backend) from exc
    if response.status != 200:
        try:
            text = await response.text()
        except (TimeoutError, aiohttp.ClientError, OSError):
            text = ""
        response.close()
        raise UpstreamError(_upstream_message(response.status, text), status=response.status)
    return Stream(backend, response)


def list_models(*, kind: str, base_url: str, api_key: str, timeout: float) -> list[str]:
    """The model names a backend offers, for the background refresh and "test connection".
    An ordinary outbound call, so httpx (aiohttp is kept for the hot path)."""
    backend = BackendInfo(0, "", kind, base_url, timeout, None, api_key)
    url = f"{base_url.rstrip('/')}/api/tags" if kind == "ollama" else f"{backend.openai_root}/models"
    try:
        response = httpx.get(url, headers=_headers(backend), timeout=timeout, trust_env=False)
    except httpx.TimeoutException as exc:
        raise UpstreamError(f"no answer within {timeout:g} s", timeout=True) from exc
    except httpx.HTTPError as exc:
        raise UpstreamError(f"cannot connect ({exc})"[:200]) from exc
    if response.status_code != 200:
        raise UpstreamError(_upstream_message(response.status_code, response.text), status=response.status_code)
    try:
        document = response.json()
    except ValueError as exc:
        raise UpstreamError("answered something that is not JSON") from exc
    if kind == "ollama":
        return sorted(m.get("name") or m.get("model", "") for m in document.get("models", []))
    return sorted(m["id"] for m in document.get("data", []) if isinstance(m, dict) and "id" in m)
