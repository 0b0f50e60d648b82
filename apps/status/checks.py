"""Check kinds: async functions from a Probe (plain data) to an Outcome. No ORM here, so
the engine can run hundreds at once on one event loop.

The polling hot path uses aiohttp (bench/README.md has the figures that chose it);
everything else in HomeOps uses httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import json
import math
import os
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from yarl import URL

from apps.core import config
from apps.status.models import Kind, State
from homeops import redact


@dataclass(frozen=True)
class Probe:
    service_id: int
    kind: str
    check: dict[str, Any]
    timeout: float


@dataclass(frozen=True)
class Outcome:
    state: State
    message: str
    latency_ms: float | None = None
    version: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class CheckSettingsError(ValueError):
    """A check's settings cannot work (caught by validation before they are saved)."""


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


def json_path(document: Any, path: str) -> Any:
    """'models.0.name' -> document['models'][0]['name']; KeyError when absent."""
    value = document
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit():
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise KeyError(path)
    return value


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


def connect_failure(error: OSError | None) -> str:
    """Why a connection failed, in words a family member can read on the board."""
    if isinstance(error, ConnectionRefusedError):
        return "refused the connection (nothing is listening there)"
    if isinstance(error, socket.gaierror):
        return "could not be found on the network (the name does not resolve)"
    if isinstance(error, TimeoutError):
        return "did not answer the connection"
    if isinstance(error, OSError) and error.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "is unreachable on the network"
    return "could not be reached"


async def check_http(probe: Probe, session: aiohttp.ClientSession) -> Outcome:
    check = probe.check
    low, high = parse_status_range(check.get("expect_status", "200-399"))
    start = time.perf_counter()
    try:
        async with session.get(check["url"], allow_redirects=True, ssl=tls_setting(check)) as response:
            wants_body = check.get("keyword") or check.get("json_path") or check.get("version_json_path")
            body = await response.text(errors="replace") if wants_body else ""
            latency = _ms(start)
            status = response.status
            headers = response.headers
    except aiohttp.ClientConnectorCertificateError:
        return Outcome(State.DOWN, "its TLS certificate is not valid (expired, or not from a trusted issuer)")
    except aiohttp.ClientConnectorError as exc:
        return Outcome(State.DOWN, connect_failure(exc.os_error), _ms(start))
    except aiohttp.ClientError as exc:
        return Outcome(State.DOWN, f"the connection failed ({type(exc).__name__})", _ms(start))
    version = headers.get(check["version_header"], "") if check.get("version_header") else ""
    if check.get("version_json_path"):  # Forgejo's /api/v1/version: {"version": "1.21.0"}
        with contextlib.suppress(ValueError, KeyError, IndexError):
            version = _version_text(json_path(json.loads(body), check["version_json_path"])) or version
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
            return Outcome(State.DOWN, f"{check['json_path']} is {value!r}, expected {expected!r}", latency, version)
    warn_days = check.get("tls_days", 14)
    cert_days = await certificate_days_left(check) if warn_days and check["url"].startswith("https") else None
    if cert_days is not None and cert_days < warn_days:
        when = "today" if cert_days < 1 else f"in {int(cert_days)} day{'s' if int(cert_days) != 1 else ''}"
        return Outcome(State.DEGRADED, f"its TLS certificate expires {when}: renew it", latency, version)
    degraded_ms = check.get("degraded_ms")
    if degraded_ms and latency > float(degraded_ms):
        return Outcome(State.DEGRADED, f"slow: answered in {latency:.0f} ms (over {degraded_ms} ms)", latency, version)
    return Outcome(State.UP, f"answered {status} in {latency:.0f} ms", latency, version)


@functools.lru_cache(maxsize=32)
def _ca_context(ca_file: str) -> ssl.SSLContext:
    """Trust a home CA (Caddy's internal one, say) besides the system's; built once per file."""
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=ca_file)
    return context


def tls_setting(check: dict[str, Any]) -> ssl.SSLContext | bool | None:
    """aiohttp's ssl=: None verifies against the system store; False skips verification."""
    if not check.get("verify_tls", True):
        return False
    if check.get("ca_file"):
        return _ca_context(str(check["ca_file"]))
    return None


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


async def check_tcp(probe: Probe, session: aiohttp.ClientSession) -> Outcome:
    host, port = probe.check["host"], int(probe.check["port"])
    start = time.perf_counter()
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        return Outcome(State.DOWN, f"port {port}: {connect_failure(exc)}", _ms(start))
    latency = _ms(start)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return Outcome(State.UP, f"port {port} accepted a connection in {latency:.0f} ms", latency)


# --- helpers shared by the kinds below -------------------------------------------------------


class _Failed(Exception):  # not an error of ours: the answer a check gives back
    """Raised inside a check to give back its Outcome at once (a refused connection, a 500)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


def secret_from_env(name: Any, what: str) -> str:
    """A secret named by the check (api_key_env, password_env); the value is never stored."""
    if not isinstance(name, str) or not config.ENV_NAME.fullmatch(name):
        raise CheckSettingsError(f"{what} must name an environment variable, like HOMEOPS_NAS_PASSWORD")
    value = os.environ.get(name, "")
    if not value:
        raise CheckSettingsError(f"the environment variable {name} is not set")
    redact.remember(value, label=f"${name}")
    return value


def _version_text(value: Any) -> str:
    return str(value)[:100] if isinstance(value, str | int | float) and not isinstance(value, bool) else ""


def _base(url: Any, suffix: str = "") -> str:
    """check.url without a trailing slash (nor `suffix`, which the check adds itself)."""
    url = str(url or "").rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise CheckSettingsError(f"{url!r} is not a URL starting with http:// or https://")
    if suffix and url.endswith(suffix):
        url = url[: -len(suffix)]
    return url


def _ssl(check: dict[str, Any]) -> bool | None:
    return None if check.get("verify_tls", True) else False


async def _fetch(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    start: float,
    ssl: bool | None,
    **kwargs: Any,
) -> tuple[int, str]:
    """(status, body); a connection that fails becomes a DOWN outcome in plain words."""
    try:
        async with session.request(method, url, ssl=ssl, allow_redirects=True, **kwargs) as response:
            return response.status, await response.text(errors="replace")
    except aiohttp.ClientConnectorError as exc:
        message = connect_failure(exc.os_error)
        raise _Failed(Outcome(State.DOWN, message, _ms(start))) from exc
    except aiohttp.ClientError as exc:
        raise _Failed(Outcome(State.DOWN, f"the connection failed ({type(exc).__name__})", _ms(start))) from exc


async def _get_json(
    session: aiohttp.ClientSession, url: str, *, start: float, ssl: bool | None, method: str = "GET", **kwargs: Any
) -> Any:
    """The JSON document at url; any other answer becomes a DOWN outcome naming the path."""
    status, body = await _fetch(session, method, url, start=start, ssl=ssl, **kwargs)
    where = URL(url).path
    if status in (401, 403):
        raise _Failed(Outcome(State.DOWN, f"answered {status} at {where}: the key is missing or wrong", _ms(start)))
    if not 200 <= status <= 299:
        raise _Failed(Outcome(State.DOWN, f"answered {status} at {where}", _ms(start)))
    try:
        return json.loads(body)
    except ValueError:
        raise _Failed(Outcome(State.DOWN, f"{where} did not answer with JSON", _ms(start))) from None


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


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


def _models_outcome(check: dict[str, Any], names: list[str], up: str, latency: float, **kw: Any) -> Outcome:
    missing = missing_models(check.get("expect_models"), names, latest_tag=kw.pop("latest_tag", False))
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        return Outcome(State.DEGRADED, f"answers, but {_and(missing)} {verb} missing", latency, **kw)
    if not names:
        return Outcome(State.DEGRADED, "answers, but offers no models", latency, **kw)
    degraded_ms = check.get("degraded_ms")
    if degraded_ms and latency > float(degraded_ms):
        return Outcome(State.DEGRADED, f"slow: answered in {latency:.0f} ms (over {degraded_ms} ms)", latency, **kw)
    return Outcome(State.UP, up, latency, **kw)


# --- model servers ---------------------------------------------------------------------------


async def check_openai(probe: Probe, session: aiohttp.ClientSession) -> Outcome:
    """An OpenAI-compatible server (MLX, llama.cpp, vLLM, LM Studio): GET {url}/v1/models."""
    check = probe.check
    headers = {}
    if check.get("api_key_env"):
        headers["Authorization"] = f"Bearer {secret_from_env(check['api_key_env'], 'api_key_env')}"
    url = _base(check.get("url"), "/v1") + "/v1/models"
    start = time.perf_counter()
    try:
        document = await _get_json(session, url, start=start, ssl=_ssl(check), headers=headers)
    except _Failed as failed:
        return failed.outcome
    latency = _ms(start)
    rows = document.get("data") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        return Outcome(State.DOWN, "/v1/models did not list any models", latency)
    names = [str(row.get("id")) for row in rows if isinstance(row, dict) and row.get("id")]
    data = {"models": len(names)}
    return _models_outcome(check, names, f"answers with {_plural(len(names), 'model')}", latency, data=data)


async def check_ollama(probe: Probe, session: aiohttp.ClientSession) -> Outcome:
    """Ollama's own API: /api/tags (installed), /api/ps (in memory), /api/version."""
    check = probe.check
    base = _base(check.get("url"))
    start = time.perf_counter()
    try:
        tags = await _get_json(session, f"{base}/api/tags", start=start, ssl=_ssl(check))
    except _Failed as failed:
        return failed.outcome
    latency = _ms(start)  # of /api/tags, the call that says Ollama answers
    # /api/ps and /api/version only enrich the message: an older Ollama without them is still up.
    loaded: list[str] | None = None
    version = ""
    with contextlib.suppress(_Failed, AttributeError, TypeError):
        ps = await _get_json(session, f"{base}/api/ps", start=start, ssl=_ssl(check))
        loaded = [str(m.get("name")) for m in ps.get("models") or [] if isinstance(m, dict)]
    with contextlib.suppress(_Failed, KeyError, TypeError):
        version = _version_text(
            (await _get_json(session, f"{base}/api/version", start=start, ssl=_ssl(check)))["version"]
        )
    rows = tags.get("models") if isinstance(tags, dict) else None
    if not isinstance(rows, list):
        return Outcome(State.DOWN, "/api/tags did not list any models", latency, version)
    names = [str(m.get("name") or m.get("model")) for m in rows if isinstance(m, dict)]
    up = _plural(len(names), "model")
    data: dict[str, Any] = {"models": len(names)}
    if loaded is not None:
        data["loaded"] = len(loaded)
        up += f", {len(loaded)} loaded ({', '.join(loaded)})" if loaded else ", none loaded"
    return _models_outcome(check, names, up, latency, version=version, data=data, latest_tag=True)


# --- UPS through NUT -------------------------------------------------------------------------

NUT_PORT = 3493
UPS_NAME = re.compile(r"[A-Za-z0-9_.-]+")  # sent on the wire: no spaces, quotes or newlines
NUT_VAR = re.compile(r'VAR (\S+) (\S+) "((?:[^"\\]|\\.)*)"')
NUT_NUMBERS = ("battery.charge", "battery.runtime", "ups.load")
NUT_ERRORS = {
    "UNKNOWN-UPS": "the UPS server does not know a UPS called {ups!r}",
    "DATA-STALE": "the UPS has stopped reporting (its driver's data is stale)",
    "DRIVER-NOT-CONNECTED": "the UPS server has lost touch with the UPS (no driver connected)",
    "ACCESS-DENIED": "the UPS server refused to answer this machine (access denied)",
}


async def nut_variables(host: str, port: int, ups: str) -> dict[str, str]:
    """`LIST VAR <ups>` over upsd's network protocol (docs: NUT developer guide, "Network
    protocol information"). Raises _Failed for an `ERR` answer, OSError when unreachable."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"LIST VAR {ups}\n".encode())
        await writer.drain()
        variables: dict[str, str] = {}
        while True:
            line = (await reader.readline()).decode(errors="replace").rstrip("\r\n")
            if not line:
                raise _Failed(Outcome(State.DOWN, "the UPS server closed the connection mid-answer"))
            if line.startswith("ERR "):
                code = line.split()[1]
                text = NUT_ERRORS.get(code, "the UPS server answered {code}").format(ups=ups, code=code)
                raise _Failed(Outcome(State.DOWN, text))
            if line.startswith("END LIST VAR"):
                break
            match = NUT_VAR.fullmatch(line)
            if match:
                variables[match.group(2)] = re.sub(r"\\(.)", r"\1", match.group(3))
        with contextlib.suppress(OSError):
            writer.write(b"LOGOUT\n")
            await writer.drain()
        return variables
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "time left unknown"
    return "less than a minute left" if seconds < 60 else f"{int(seconds // 60)} min left"


async def check_nut(probe: Probe, session: aiohttp.ClientSession) -> Outcome:
    check = probe.check
    host, port, ups = check["host"], int(check.get("port", NUT_PORT)), str(check.get("ups", ""))
    if not UPS_NAME.fullmatch(ups):
        raise CheckSettingsError(f"{ups!r} is not a UPS name (letters, digits, . _ and - only)")
    start = time.perf_counter()
    try:
        variables = await nut_variables(host, port, ups)
    except OSError as exc:
        return Outcome(State.DOWN, f"port {port}: {connect_failure(exc)}", _ms(start))
    except _Failed as failed:
        return Outcome(failed.outcome.state, failed.outcome.message, _ms(start))
    latency = _ms(start)
    data: dict[str, Any] = {}
    for name in NUT_NUMBERS:
        with contextlib.suppress(KeyError, ValueError):
            data[name] = float(variables[name])
    charge = f"battery {data['battery.charge']:g}%" if "battery.charge" in data else "battery level unknown"
    left = _minutes(data.get("battery.runtime"))
    status = variables.get("ups.status", "").split()
    # upsmon shuts machines down on OB+LB; LB while on mains means it is recharging.
    if "LB" in status and "OL" not in status:
        return Outcome(State.DOWN, f"battery low: {left}", latency, data=data)
    if "OFF" in status:
        return Outcome(State.DOWN, "the UPS has switched its outlets off", latency, data=data)
    if "OB" in status:
        return Outcome(State.DEGRADED, f"on battery, {left}", latency, data=data)
    if "OL" in status:
        if "RB" in status:
            return Outcome(
                State.DEGRADED, f"on mains power, but the battery needs replacing ({charge})", latency, data=data
            )
        if "LB" in status:
            return Outcome(State.DEGRADED, f"on mains power, but the battery is low ({charge})", latency, data=data)
        if "OVER" in status:
            return Outcome(State.DEGRADED, f"on mains power, but overloaded ({charge})", latency, data=data)
        return Outcome(State.UP, f"on mains power, {charge}", latency, data=data)
    shown = " ".join(status) or "nothing"
    return Outcome(State.DEGRADED, f"the UPS reports an unusual status ({shown})", latency, data=data)


# --- Synology DSM ----------------------------------------------------------------------------

DSM_LOGIN_ERRORS = {
    400: "wrong account name or password",
    401: "the account is disabled",
    402: "the account has no permission",
    403: "the account needs a two-step code",
    404: "the account needs a two-step code",
    406: "the account must set up two-step sign-in",
    407: "this address is blocked",
    408: "the password has expired",
    409: "the password has expired",
    410: "the password must be changed",
}


async def _dsm(
    session: aiohttp.ClientSession,
    base: str,
    api: str,
    version: int,
    method: str,
    *,
    start: float,
    ssl: bool | None,
    **params: str,
) -> dict[str, Any]:
    """One DSM Web API call; returns `data`, raises _Failed (DOWN) or _DSMError (code).
    Login is POSTed, so the password stays out of the NAS's and any proxy's access logs."""
    query = {"api": api, "version": str(version), "method": method, **params}
    url = f"{base}/webapi/entry.cgi"
    if method == "login":
        document = await _get_json(session, url, start=start, ssl=ssl, method="POST", data=query)
    else:
        document = await _get_json(session, url, start=start, ssl=ssl, params=query)
    if not isinstance(document, dict):
        raise _Failed(Outcome(State.DOWN, "the NAS answered something that is not DSM", _ms(start)))
    if not document.get("success"):
        error = document.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        raise _DSMError(code if isinstance(code, int) else 0)
    return document.get("data") or {}


class _DSMError(Exception):  # a DSM error code, turned into words by the caller
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _volume_name(volume: dict[str, Any]) -> str:
    """DSM's "/volume1" or "volume_1" -> "Volume 1", as Storage Manager shows it."""
    path = str(volume.get("vol_path") or volume.get("id") or "")
    match = re.fullmatch(r"/?volume_?(\d+)", path)
    return f"Volume {match.group(1)}" if match else path or "a volume"


def _disk_name(disk: dict[str, Any]) -> str:
    return str(disk.get("longName") or disk.get("name") or disk.get("id") or "a disk")


DISK_FINE = {"", "normal"}  # smart_status and overview_status of a healthy disk


def judge_storage(storage: dict[str, Any]) -> tuple[State, list[str], dict[str, Any]]:
    """Worst state, the problems in words, and the numbers worth keeping."""
    state, problems = State.UP, []
    volumes: dict[str, Any] = {}
    for volume in storage.get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        name, status = _volume_name(volume), str(volume.get("status", "")).lower()
        size = volume.get("size") if isinstance(volume.get("size"), dict) else {}
        entry: dict[str, Any] = {"status": status}
        with contextlib.suppress(KeyError, TypeError, ValueError):
            entry["total_bytes"], entry["used_bytes"] = int(size["total"]), int(size["used"])
        volumes[name] = entry
        if status == "crashed":
            state = State.DOWN
            problems.append(f"{name} has crashed")
        elif status != "normal":
            state = State.DEGRADED if state == State.UP else state
            problems.append(f"{name} is {status or 'in an unknown state'}")
    failing = 0
    disks = [d for d in storage.get("disks") or [] if isinstance(d, dict)]
    for disk in disks:
        smart = str(disk.get("smart_status", "")).lower()
        overview = str(disk.get("overview_status", "")).lower()
        bad = [s for s in (smart, overview) if s not in DISK_FINE]
        if bad:
            failing += 1
            state = State.DEGRADED if state == State.UP else state
            problems.append(f"{_disk_name(disk)} reports a problem ({bad[0]})")
    data = {"volumes": volumes, "disks": len(disks), "disks_failing": failing}
    return state, problems, data


async def check_synology(probe: Probe, session: aiohttp.ClientSession) -> Outcome:
    """DSM's Web API with a read-only account: log in, read storage and version, log out."""
    check = probe.check
    base, ssl = _base(check.get("url")), _ssl(check)
    password = secret_from_env(check.get("password_env"), "password_env")
    start = time.perf_counter()
    login = {"account": str(check.get("account", "")), "passwd": password, "format": "sid"}
    try:
        sid = str((await _dsm(session, base, "SYNO.API.Auth", 6, "login", start=start, ssl=ssl, **login))["sid"])
    except (_DSMError, KeyError) as exc:
        reason = DSM_LOGIN_ERRORS.get(getattr(exc, "code", 0), "")
        return Outcome(
            State.DOWN, "the NAS refused the read-only account" + (f" ({reason})" if reason else ""), _ms(start)
        )
    except _Failed as failed:
        return failed.outcome
    # Log out on every path that has an answer (DSM keeps sessions around), but not from a
    # `finally`: a check cancelled by its timeout must not wait for a logout as well.
    try:
        storage = await _dsm(session, base, "SYNO.Storage.CGI.Storage", 1, "load_info", start=start, ssl=ssl, _sid=sid)
    except _DSMError as exc:
        await _dsm_logout(session, base, sid, ssl)
        message = f"the NAS would not show its storage to the read-only account (code {exc.code})"
        return Outcome(State.DOWN, message, _ms(start))
    except _Failed as failed:
        return failed.outcome
    latency = _ms(start)
    version = ""
    with contextlib.suppress(_DSMError, _Failed):
        info = await _dsm(session, base, "SYNO.DSM.Info", 2, "getinfo", start=start, ssl=ssl, _sid=sid)
        version = _version_text(info.get("version_string") or info.get("version"))
    await _dsm_logout(session, base, sid, ssl)
    state, problems, data = judge_storage(storage)
    if problems:
        return Outcome(state, "; ".join(problems), latency, version, data)
    volumes, disks = _plural(len(data["volumes"]), "volume"), _plural(data["disks"], "disk")
    return Outcome(State.UP, f"storage healthy ({volumes}, {disks})", latency, version, data)


async def _dsm_logout(session: aiohttp.ClientSession, base: str, sid: str, ssl: bool | None) -> None:
    with contextlib.suppress(_DSMError, _Failed):
        await _dsm(session, base, "SYNO.API.Auth", 6, "logout", start=time.perf_counter(), ssl=ssl, _sid=sid)


# --- a number from Prometheus text or JSON ---------------------------------------------------

PROM_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
PROM_LINE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?")
PROM_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')
THRESHOLDS = ("down_above", "down_below", "degraded_above", "degraded_below")


def prometheus_series(text: str, metric: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of `metric` in Prometheus' text format, as (labels, value)."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PROM_LINE.fullmatch(line)
        if not match or match.group(1) != metric:
            continue
        labels = {
            m.group(1): re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1), m.group(2))
            for m in PROM_LABEL.finditer(match.group(2) or "")
        }
        with contextlib.suppress(ValueError):
            found.append((labels, float(match.group(3))))
    return found


def judge_value(name: str, value: float, check: dict[str, Any]) -> tuple[State, str]:
    """DOWN limits before DEGRADED ones; the message names the limit that was crossed."""
    if math.isnan(value):
        return State.DOWN, f"{name} has no value (NaN)"
    limits = {key: float(check[key]) for key in THRESHOLDS if check.get(key) is not None}
    for key, limit in limits.items():
        state, side = key.split("_")
        crossed = value > limit if side == "above" else value < limit
        if crossed:
            return State(state), f"{name} is {value:g} ({state} {side} {limit:g})"
    return State.UP, f"{name} is {value:g}" + (" (within its limits)" if limits else "")


async def check_metric(probe: Probe, session: aiohttp.ClientSession) -> Outcome:
    check = probe.check
    url = str(check.get("url") or "")
    _base(url)  # only to refuse a URL without http:// or https://; the path stays as given
    start = time.perf_counter()
    try:
        status, body = await _fetch(session, "GET", url, start=start, ssl=_ssl(check))
    except _Failed as failed:
        return failed.outcome
    latency = _ms(start)
    if not 200 <= status <= 299:
        return Outcome(State.DOWN, f"answered {status}", latency)
    if check.get("metric"):
        name, wanted = str(check["metric"]), check.get("labels") or {}
        series = [
            value
            for labels, value in prometheus_series(body, name)
            if all(labels.get(k) == str(v) for k, v in wanted.items())
        ]
        if not series:
            return Outcome(State.DOWN, f"the answer has no {name}" + (" with those labels" if wanted else ""), latency)
        if len(series) > 1:
            raise CheckSettingsError(f"{len(series)} series of {name} match: add labels to pick one")
        value = series[0]
    elif check.get("json_path"):
        name = str(check["json_path"])
        try:
            raw = json_path(json.loads(body), name)
        except (ValueError, KeyError, IndexError):
            return Outcome(State.DOWN, f"the answer has no {name}", latency)
        try:
            if isinstance(raw, bool):
                raise TypeError(raw)
            value = float(raw)
        except (TypeError, ValueError):
            return Outcome(State.DOWN, f"{name} is {raw!r}, not a number", latency)
    else:
        raise CheckSettingsError("a metric check needs metric (Prometheus) or json_path (JSON)")
    state, message = judge_value(name, value, check)
    return Outcome(state, message, latency, data={"value": value})


CHECKS: dict[str, Callable[[Probe, aiohttp.ClientSession], Awaitable[Outcome]]] = {
    Kind.HTTP: check_http,
    Kind.TCP: check_tcp,
    Kind.OPENAI: check_openai,
    Kind.OLLAMA: check_ollama,
    Kind.NUT: check_nut,
    Kind.SYNOLOGY: check_synology,
    Kind.METRIC: check_metric,
}


async def run_probe(probe: Probe, session: aiohttp.ClientSession) -> Outcome:
    """One check with its own timeout; never raises, so one bad target cannot stop a round."""
    try:
        return await asyncio.wait_for(CHECKS[probe.kind](probe, session), probe.timeout)
    except TimeoutError:
        return Outcome(State.DOWN, f"did not answer within {probe.timeout:g} s")
    except CheckSettingsError as exc:
        return Outcome(State.DOWN, f"the check's settings are wrong: {exc}")
    except Exception as exc:  # a bug in one check must not take the round down
        return Outcome(State.DOWN, f"the check failed: {type(exc).__name__}")


async def run_probes(probes: list[Probe], *, concurrency: int = 100) -> list[Outcome]:
    """All probes at once, at most `concurrency` in flight; results in the same order."""
    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0, ttl_dns_cache=300)
    async with aiohttp.ClientSession(
        connector=connector, headers={"User-Agent": "HomeOps status check"}, trust_env=False
    ) as session:

        async def bounded(probe: Probe) -> Outcome:
            async with semaphore:
                return await run_probe(probe, session)

        return await asyncio.gather(*(bounded(p) for p in probes))
