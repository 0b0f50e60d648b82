"""Talking to the backends: aiohttp, one session per event loop, SSE read line by line.

aiohttp rather than httpx on this hot path: relaying 40-chunk streams at 20 concurrent cost
1.8 ms CPU per stream against httpx's 5.3-6.0 ms on the 2-core NAS (bench/README.md).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import weakref
from collections.abc import AsyncIterator

import aiohttp
import httpx

from apps.core.wording import connect_failure
from apps.gateway.snapshot import BackendInfo
from homeops.redact import scrub

_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = weakref.WeakKeyDictionary()


class UpstreamError(Exception):
    """The backend could not answer. `reason` is in our own words and may reach any member
    (/v1 errors, the audit row); `detail` is what the backend said, secrets redacted, for the
    owner's pages only: a backend may quote the household's key back ("Incorrect API key
    provided: Bearer sk-..."). `timeout` marks a backend that was too slow."""

    def __init__(self, reason: str, *, timeout: bool = False, status: int | None = None, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.timeout, self.status, self.detail = reason, timeout, status, detail

    def for_owner(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


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


def _for_owner(text: str, api_key: str) -> str:
    """A backend's own words, for the owner's pages: a backend's text is foreign (it may quote
    a key in any shape), and it is scrubbed before it is cut short, so a key cut in half cannot
    slip past the patterns."""
    return scrub(text, known=(api_key,), foreign=True)[:200]


def _reason(exc: BaseException, backend: BackendInfo) -> UpstreamError:
    if isinstance(exc, asyncio.TimeoutError):
        return UpstreamError(f"no answer within {backend.timeout:g} s", timeout=True)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return UpstreamError(connect_failure(exc))
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return UpstreamError("closed the connection")
    return UpstreamError(f"failed ({type(exc).__name__})", detail=_for_owner(str(exc), backend.api_key))


STATUS_WORDS = {
    400: "the request was refused",
    401: "the API key was refused",
    403: "access was refused",
    404: "no such model or path",
    408: "it timed out",
    413: "the request was too large",
    429: "it is busy or over its rate limit",
}


def _http_error(status: int, text: str, api_key: str) -> UpstreamError:
    """A non-200 answer: the status in our words; the backend's own text only as `detail`."""
    words = STATUS_WORDS.get(status) or (
        "it failed on its side"
        if status >= 500
        else "it sends requests to another address: check the address"
        if 300 <= status < 400
        else "it refused the request"
    )
    try:
        message = json.loads(text)["error"]
        message = message.get("message", message) if isinstance(message, dict) else message
    except (ValueError, KeyError, TypeError, IndexError, RecursionError):
        message = text.strip()
    return UpstreamError(f"answered {status} ({words})", status=status, detail=_for_owner(str(message or ""), api_key))


async def post_json(backend: BackendInfo, path: str, body: dict) -> dict:
    """A whole (non-streamed) answer. Falls back on connect errors, timeouts, 404 and 5xx."""
    timeout = aiohttp.ClientTimeout(total=None, connect=backend.timeout, sock_read=backend.timeout)
    try:
        async with session().post(
            f"{backend.openai_root}{path}", json=body, headers=_headers(backend), timeout=timeout
        ) as response:
            text = await response.text()
            if response.status != 200:
                raise _http_error(response.status, text, backend.api_key)
            document = json.loads(text)
            if not isinstance(document, dict):
                raise UpstreamError("answered something that is not a JSON object")
            return document
    except UpstreamError:
        raise
    except (ValueError, RecursionError) as exc:
        raise UpstreamError("answered something that is not JSON") from exc
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise _reason(exc, backend) from exc


def _object(payload: bytes) -> dict:
    event = json.loads(payload)
    if not isinstance(event, dict):  # `data: 5` is JSON, but no chunk
        raise UpstreamError("sent an event that is not a JSON object")
    return event


class Stream:
    """An open streamed answer: the response is open, the first event not yet read."""

    def __init__(self, backend: BackendInfo, response: aiohttp.ClientResponse) -> None:
        self.backend, self.response = backend, response

    async def events(self) -> AsyncIterator[dict]:
        """Each `data:` event as a JSON object, until `[DONE]`. The backend's timeout bounds the
        wait for each event: silence by the socket read's timeout, and keep-alive comments (which
        reset that one) by a deadline checked as each arrives. (asyncio.timeout per event cost
        ~10 us each here: 0.4 ms of CPU per 40-chunk stream, for nothing on a healthy backend.)"""
        data: list[bytes] = []
        deadline = time.monotonic() + self.backend.timeout
        try:
            async for raw in self.response.content:
                line = raw.rstrip(b"\r\n")
                if line.startswith(b"data:"):
                    data.append(line[5:].lstrip())
                elif line or not data:  # comments (": keep-alive"), event names, stray blank lines
                    if time.monotonic() > deadline:
                        raise TimeoutError
                else:  # the blank line that ends an event
                    payload, data = b"\n".join(data), []
                    if payload == b"[DONE]":
                        return
                    yield _object(payload)
                    deadline = time.monotonic() + self.backend.timeout
            if data == [b"[DONE]"]:
                return
            if data:
                yield _object(b"\n".join(data))
            raise UpstreamError("stopped before the end of the answer")
        except UpstreamError:
            raise
        except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, or nested beyond reason
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
        raise _http_error(response.status, text, backend.api_key)
    return Stream(backend, response)


def _discovery_failure(exc: Exception, timeout: float) -> str:
    """Why asking a backend for its models failed, in words (httpx's errors, by what happened)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return f"did not answer the connection within {timeout:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"accepted the connection but sent no answer within {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        if _caused_by(exc, ssl.SSLError):
            return "could not talk over https:// there (if the server speaks plain http://, change the address)"
        return connect_failure(exc)
    if isinstance(exc, httpx.RemoteProtocolError):
        return "hung up without a proper answer (is another kind of server listening on that port?)"
    if isinstance(exc, httpx.NetworkError):
        return "broke off the connection while answering"
    if isinstance(exc, httpx.DecodingError):
        return "sent an answer that could not be read"
    return "could not be asked: check the address on the backend's page"


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def list_models(*, kind: str, base_url: str, api_key: str, timeout: float) -> list[str]:
    """The model names a backend offers, for the background refresh and "test connection".
    An ordinary outbound call, so httpx (aiohttp is kept for the hot path)."""
    backend = BackendInfo(0, "", kind, base_url, timeout, None, api_key)
    url = f"{base_url.rstrip('/')}/api/tags" if kind == "ollama" else f"{backend.openai_root}/models"
    try:
        response = httpx.get(url, headers=_headers(backend), timeout=timeout, trust_env=False)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        # The owner's pages show this: in words, never "[Errno -2] Name or service not known".
        raise UpstreamError(_discovery_failure(exc, timeout), timeout=isinstance(exc, httpx.TimeoutException)) from exc
    if response.status_code != 200:
        raise _http_error(response.status_code, response.text, api_key)
    try:
        document = response.json()
    except (ValueError, RecursionError) as exc:
        raise UpstreamError("answered something that is not JSON") from exc
    listed = document.get("models" if kind == "ollama" else "data", []) if isinstance(document, dict) else None
    if not isinstance(listed, list):
        raise UpstreamError("answered something that is not a list of models")
    if kind == "ollama":
        names = (m.get("name") or m.get("model") for m in listed if isinstance(m, dict))
    else:
        names = (m.get("id") for m in listed if isinstance(m, dict))
    return sorted(name for name in names if isinstance(name, str) and name)
