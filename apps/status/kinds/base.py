"""The check-kind contract, as notify's transports/base.py is for channels.

A kind is a CheckKind subclass in a module of its own under apps/status/kinds/, registered
with `@register` (kinds/__init__.py). It says which settings a check of its kind takes and
how each is validated (the config file and the owner's form both ask it), and how a check
runs: an async function from a Probe (plain data, no ORM) to an Outcome, so the engine can
run hundreds at once on one event loop. The helpers below are shared by the kinds that talk
HTTP; the polling hot path uses aiohttp (bench/README.md has the figures that chose it).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import aiohttp
from yarl import URL

from apps.core import config, rules
from apps.core.wording import connect_failure  # noqa: F401 (the kinds import it from here)
from apps.status.models import State
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


# A setting's rule: the problem with a value in words, or None when the value will do.
Rule = Callable[[Any], str | None]


def any_value(value: Any) -> str | None:
    return None


class CheckKind:
    """One kind of check. `options` lists every setting the kind takes besides `kind`, each
    with its rule (checked only when the setting is present); `validate` adds the rules
    that join several settings. `run` is never called for a kind that is not `polled`."""

    kind: ClassVar[str]  # a value of models.Kind
    summary: ClassVar[str]  # what it checks, in the owner's words (the Settings form shows it)
    polled: ClassVar[bool] = True  # False: the service reports itself (heartbeats)
    options: ClassVar[dict[str, Rule]] = {}
    required: ClassVar[frozenset[str]] = frozenset()

    def validate(self, settings: dict[str, Any], path: config.Path, report: config.Report) -> None:
        """Rules across settings; `path` locates the check in the file ("services", 3, "check")."""

    async def run(self, probe: Probe, session: aiohttp.ClientSession) -> Outcome:
        raise NotImplementedError(f"{self.kind} checks are not polled")


# --- rules shared by several kinds -----------------------------------------------------------


def url_rule(value: Any) -> str | None:
    if not str(value or "").startswith(("http://", "https://")):
        return "not a URL: it must start with http:// or https://"
    return None


def port_rule(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        return "must be a port number from 1 to 65535"
    return None


def milliseconds_rule(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return "must be a number of milliseconds, like 1500"
    return None


def flag_rule(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def models_rule(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(m, str) and m.strip() for m in value):
        return "must be a list of model names, like [llama3.1:8b]"
    return None


def env_name_rule(value: Any) -> str | None:
    if not (isinstance(value, str) and rules.ENV_NAME.fullmatch(value)):
        return "must be the name of an environment variable holding the secret, not the secret itself"
    return None


def number_rule(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number"
    return None


# --- helpers shared by the kinds that talk HTTP ----------------------------------------------


def ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


class Failed(Exception):  # not an error of ours: the answer a check gives back
    """Raised inside a check to give back its Outcome at once (a refused connection, a 500)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


def secret_from_env(name: Any, what: str) -> str:
    """A secret named by the check (api_key_env, password_env); the value is never stored."""
    if not isinstance(name, str) or not rules.ENV_NAME.fullmatch(name):
        raise CheckSettingsError(f"{what} must name an environment variable, like HOMEOPS_NAS_PASSWORD")
    value = os.environ.get(name, "")
    if not value:
        raise CheckSettingsError(f"the environment variable {name} is not set")
    redact.remember(value, label=f"${name}")
    return value


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


def version_text(value: Any) -> str:
    return str(value)[:100] if isinstance(value, str | int | float) and not isinstance(value, bool) else ""


def base_url(url: Any, suffix: str = "") -> str:
    """check.url without a trailing slash (nor `suffix`, which the check adds itself)."""
    url = str(url or "").rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise CheckSettingsError(f"{url!r} is not a URL starting with http:// or https://")
    if suffix and url.endswith(suffix):
        url = url[: -len(suffix)]
    return url


def verify(check: dict[str, Any]) -> bool:
    """aiohttp's ssl=: True verifies against the system store; False skips verification."""
    return bool(check.get("verify_tls", True))


async def fetch(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    start: float,
    ssl: bool,
    **kwargs: Any,
) -> tuple[int, str]:
    """(status, body); a connection that fails becomes a DOWN outcome in plain words."""
    try:
        async with session.request(method, url, ssl=ssl, allow_redirects=True, **kwargs) as response:
            return response.status, await response.text(errors="replace")
    except aiohttp.ClientConnectorError as exc:
        message = connect_failure(exc.os_error)
        raise Failed(Outcome(State.DOWN, message, ms(start))) from exc
    except aiohttp.ClientError as exc:
        raise Failed(Outcome(State.DOWN, f"the connection failed ({type(exc).__name__})", ms(start))) from exc


async def get_json(
    session: aiohttp.ClientSession, url: str, *, start: float, ssl: bool, method: str = "GET", **kwargs: Any
) -> Any:
    """The JSON document at url; any other answer becomes a DOWN outcome naming the path."""
    status, body = await fetch(session, method, url, start=start, ssl=ssl, **kwargs)
    where = URL(url).path
    if status in (401, 403):
        raise Failed(Outcome(State.DOWN, f"answered {status} at {where}: the key is missing or wrong", ms(start)))
    if not 200 <= status <= 299:
        raise Failed(Outcome(State.DOWN, f"answered {status} at {where}", ms(start)))
    try:
        return json.loads(body)
    except ValueError:
        raise Failed(Outcome(State.DOWN, f"{where} did not answer with JSON", ms(start))) from None


def slow(check: dict[str, Any], latency: float) -> str | None:
    """The DEGRADED message when the answer took longer than the check's degraded_ms."""
    degraded_ms = check.get("degraded_ms")
    if degraded_ms and latency > float(degraded_ms):
        return f"slow: answered in {latency:.0f} ms (over {degraded_ms} ms)"
    return None
