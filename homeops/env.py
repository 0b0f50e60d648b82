"""Strict parsing of environment variables for settings.py.

Every helper raises ImproperlyConfigured naming the variable, so a typo in a unit file
stops start-up with a message instead of running on a silent default. `NAME_FILE`
variants (Docker/systemd secrets) are read by `secret()`.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

from homeops import redact

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def string(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def boolean(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (got {value!r}).")


def integer(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number (got {value!r}).") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum} (got {number}).")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum} (got {number}).")
    return number


def strings(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def timezone(name: str, default: str) -> str:
    value = string(name, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name} is not a known time zone (got {value!r}); try Europe/Berlin.") from None
    return value


def url(name: str, schemes: tuple[str, ...]) -> str:
    """A URL whose scheme must be one of `schemes`; NAME_FILE works as for secret(). Only its
    password is a secret for the logs (the rest names a host worth seeing in them)."""
    value = _secret_value(name, "")
    with contextlib.suppress(ValueError):  # not a URL at all: refused just below
        redact.remember(urlsplit(value).password)
    if value and value.split("://", 1)[0] not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        # Name only the scheme: the rest of a URL may hold a password.
        got = f"{value.split('://', 1)[0]}://..." if "://" in value else "no scheme"
        raise ImproperlyConfigured(f"{name} must start with one of {allowed} (got {got}).")
    return value


def secret(name: str, default: str = "") -> str:
    """NAME, or the contents of the file named by NAME_FILE (Docker and systemd secrets).
    The value is never logged (homeops/redact.py)."""
    value = _secret_value(name, default)
    redact.remember(value, label=f"${name}")
    return value


def _secret_value(name: str, default: str) -> str:
    path = _raw(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE names a file that cannot be read: {exc.strerror}.") from None
    return string(name, default)
