"""synology: a Synology NAS through DSM's Web API, with a read-only account: volumes and
disks healthy, and DSM's version."""

from __future__ import annotations

import contextlib
import re
import time
from typing import Any

import aiohttp

from apps.core import config
from apps.core.wording import plural
from apps.status.kinds import register
from apps.status.kinds.base import (
    CheckKind,
    Failed,
    Outcome,
    Probe,
    any_value,
    base_url,
    env_name_rule,
    flag_rule,
    get_json,
    ms,
    secret_from_env,
    url_rule,
    verify,
    version_text,
)
from apps.status.models import Kind, State

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


class _DSMError(Exception):  # a DSM error code, turned into words by the caller
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


async def _dsm(
    session: aiohttp.ClientSession,
    base: str,
    api: str,
    version: int,
    method: str,
    *,
    start: float,
    ssl: bool,
    **params: str,
) -> dict[str, Any]:
    """One DSM Web API call; returns `data`, raises Failed (DOWN) or _DSMError (code).
    Login is POSTed, so the password stays out of the NAS's and any proxy's access logs."""
    query = {"api": api, "version": str(version), "method": method, **params}
    url = f"{base}/webapi/entry.cgi"
    if method == "login":
        document = await get_json(session, url, start=start, ssl=ssl, method="POST", data=query)
    else:
        document = await get_json(session, url, start=start, ssl=ssl, params=query)
    if not isinstance(document, dict):
        raise Failed(Outcome(State.DOWN, "the NAS answered something that is not DSM", ms(start)))
    if not document.get("success"):
        error = document.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        raise _DSMError(code if isinstance(code, int) else 0)
    return document.get("data") or {}


async def _dsm_logout(session: aiohttp.ClientSession, base: str, sid: str, ssl: bool) -> None:
    with contextlib.suppress(_DSMError, Failed):
        await _dsm(session, base, "SYNO.API.Auth", 6, "logout", start=time.perf_counter(), ssl=ssl, _sid=sid)


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
        size = volume.get("size")
        size = size if isinstance(size, dict) else {}
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


@register
class Synology(CheckKind):
    kind = Kind.SYNOLOGY
    summary = "a Synology NAS reports healthy volumes and disks to a read-only account"
    options = {"url": url_rule, "account": any_value, "password_env": env_name_rule, "verify_tls": flag_rule}
    required = frozenset({"url", "account", "password_env"})

    def validate(self, settings: dict[str, Any], path: config.Path, report: config.Report) -> None:
        if not config.text(settings, "account", path, report, max_length=100):
            report.error((*path, "account"), "must name the NAS's read-only account")

    async def run(self, probe: Probe, session: aiohttp.ClientSession) -> Outcome:
        """Log in, read storage and version, log out."""
        check = probe.check
        base, ssl = base_url(check.get("url")), verify(check)
        password = secret_from_env(check.get("password_env"), "password_env")
        start = time.perf_counter()
        login = {"account": str(check.get("account", "")), "passwd": password, "format": "sid"}
        try:
            sid = str((await _dsm(session, base, "SYNO.API.Auth", 6, "login", start=start, ssl=ssl, **login))["sid"])
        except (_DSMError, KeyError) as exc:
            reason = DSM_LOGIN_ERRORS.get(getattr(exc, "code", 0), "")
            message = "the NAS refused the read-only account" + (f" ({reason})" if reason else "")
            return Outcome(State.DOWN, message, ms(start))
        except Failed as failed:
            return failed.outcome
        # Log out on every path that has an answer (DSM keeps sessions around), but not from a
        # `finally`: a check cancelled by its timeout must not wait for a logout as well.
        try:
            storage = await _dsm(
                session, base, "SYNO.Storage.CGI.Storage", 1, "load_info", start=start, ssl=ssl, _sid=sid
            )
        except _DSMError as exc:
            await _dsm_logout(session, base, sid, ssl)
            message = f"the NAS would not show its storage to the read-only account (code {exc.code})"
            return Outcome(State.DOWN, message, ms(start))
        except Failed as failed:
            return failed.outcome
        latency = ms(start)
        version = ""
        with contextlib.suppress(_DSMError, Failed):
            info = await _dsm(session, base, "SYNO.DSM.Info", 2, "getinfo", start=start, ssl=ssl, _sid=sid)
            version = version_text(info.get("version_string") or info.get("version"))
        await _dsm_logout(session, base, sid, ssl)
        state, problems, data = judge_storage(storage)
        if problems:
            return Outcome(state, "; ".join(problems), latency, version, data)
        volumes, disks = plural(len(data["volumes"]), "volume"), plural(data["disks"], "disk")
        return Outcome(State.UP, f"storage healthy ({volumes}, {disks})", latency, version, data)
