"""http: a page or API answers with the expected status, and optionally a word, a JSON value,
a certificate that is not about to expire, and an answer fast enough."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import re
import ssl
import time
from typing import Any

import aiohttp
from yarl import URL

from apps.status.kinds import register
from apps.status.kinds.base import (
    CheckKind,
    CheckSettingsError,
    Outcome,
    Probe,
    any_value,
    connect_failure,
    flag_rule,
    json_path,
    milliseconds_rule,
    ms,
    slow,
    url_rule,
    version_text,
)
from apps.status.models import Kind, State


def parse_status_range(text: str) -> tuple[int, int]:
    """'200-399' or '204' -> (low, high)."""
    match = re.fullmatch(r"\s*(\d{3})\s*(?:-\s*(\d{3}))?\s*", str(text))
    if not match:
        raise CheckSettingsError(f"expected a status like 200 or 200-399, got {text!r}")
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if high < low:
        raise CheckSettingsError(f"the range {text!r} ends before it starts")
    return low, high


def status_rule(value: Any) -> str | None:
    try:
        parse_status_range(value)
    except CheckSettingsError as exc:
        return str(exc)
    return None


def tls_days_rule(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 365:
        return "must be a number of days from 0 (off) to 365"
    return None


def ca_file_rule(value: Any) -> str | None:
    if not os.path.isfile(str(value)):
        return "no such file on this machine (a PEM file with the CA's certificate)"
    return None


@functools.lru_cache(maxsize=32)
def _ca_context(ca_file: str) -> ssl.SSLContext:
    """Trust a home CA (Caddy's internal one, say) besides the system's; built once per file."""
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=ca_file)
    return context


def tls_setting(check: dict[str, Any]) -> ssl.SSLContext | bool:
    """aiohttp's ssl=: True verifies against the system store; False skips verification."""
    if not check.get("verify_tls", True):
        return False
    if check.get("ca_file"):
        return _ca_context(str(check["ca_file"]))
    return True


_CERT_CACHE: dict[tuple[str, int, str], tuple[float, float]] = {}
CERT_CACHE_SECONDS = 3600


async def certificate_days_left(check: dict[str, Any]) -> float | None:
    """Days until the server's certificate expires. aiohttp hands back no certificate, so this
    makes its own TLS handshake, at most once an hour per host (cached in this process)."""
    tls = tls_setting(check)
    if tls is False:
        return None
    url = URL(check["url"])
    key = (url.host or "", url.port or 443, str(check.get("ca_file", "")))
    cached = _CERT_CACHE.get(key)
    if cached is None or time.monotonic() - cached[0] > CERT_CACHE_SECONDS:
        context = tls if isinstance(tls, ssl.SSLContext) else ssl.create_default_context()
        try:
            _, writer = await asyncio.open_connection(key[0], key[1], ssl=context, server_hostname=key[0])
        except (OSError, ssl.SSLError):
            return None  # the request itself reports what is wrong with the connection
        cert = writer.get_extra_info("peercert") or {}
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
        if "notAfter" not in cert:
            return None
        cached = _CERT_CACHE[key] = (time.monotonic(), ssl.cert_time_to_seconds(cert["notAfter"]))
    return (cached[1] - time.time()) / 86400


@register
class Http(CheckKind):
    kind = Kind.HTTP
    summary = "a page or API answers with the expected status (and word, JSON value, valid certificate)"
    options = {
        "url": url_rule,
        "expect_status": status_rule,
        "keyword": any_value,
        "json_path": any_value,
        "json_value": any_value,
        "degraded_ms": milliseconds_rule,
        "verify_tls": flag_rule,
        "version_header": any_value,
        "version_json_path": any_value,
        "tls_days": tls_days_rule,
        "ca_file": ca_file_rule,
    }
    required = frozenset({"url"})

    async def run(self, probe: Probe, session: aiohttp.ClientSession) -> Outcome:
        check = probe.check
        low, high = parse_status_range(check.get("expect_status", "200-399"))
        start = time.perf_counter()
        try:
            async with session.get(check["url"], allow_redirects=True, ssl=tls_setting(check)) as response:
                wants_body = check.get("keyword") or check.get("json_path") or check.get("version_json_path")
                body = await response.text(errors="replace") if wants_body else ""
                latency = ms(start)
                status = response.status
                headers = response.headers
        except aiohttp.ClientConnectorCertificateError:
            return Outcome(State.DOWN, "its TLS certificate is not valid (expired, or not from a trusted issuer)")
        except aiohttp.ClientConnectorError as exc:
            return Outcome(State.DOWN, connect_failure(exc.os_error), ms(start))
        except aiohttp.ClientError as exc:
            return Outcome(State.DOWN, f"the connection failed ({type(exc).__name__})", ms(start))
        version = headers.get(check["version_header"], "") if check.get("version_header") else ""
        if check.get("version_json_path"):  # Forgejo's /api/v1/version: {"version": "1.21.0"}
            with contextlib.suppress(ValueError, KeyError, IndexError):
                version = version_text(json_path(json.loads(body), check["version_json_path"])) or version
        if not low <= status <= high:
            return Outcome(State.DOWN, f"answered {status} (expected {low}-{high})", latency, version)
        keyword = check.get("keyword")
        if keyword and keyword not in body:
            return Outcome(State.DOWN, f"answered {status} without the word {keyword!r}", latency, version)
        if check.get("json_path"):
            try:
                value = json_path(json.loads(body), check["json_path"])
            except (ValueError, KeyError, IndexError):
                return Outcome(State.DOWN, f"the answer has no {check['json_path']}", latency, version)
            expected = check.get("json_value")
            if expected is not None and str(value) != str(expected):
                message = f"{check['json_path']} is {value!r}, expected {expected!r}"
                return Outcome(State.DOWN, message, latency, version)
        warn_days = check.get("tls_days", 14)
        cert_days = await certificate_days_left(check) if warn_days and check["url"].startswith("https") else None
        if cert_days is not None and cert_days < warn_days:
            when = "today" if cert_days < 1 else f"in {int(cert_days)} day{'s' if int(cert_days) != 1 else ''}"
            return Outcome(State.DEGRADED, f"its TLS certificate expires {when}: renew it", latency, version)
        if too_slow := slow(check, latency):
            return Outcome(State.DEGRADED, too_slow, latency, version)
        return Outcome(State.UP, f"answered {status} in {latency:.0f} ms", latency, version)
