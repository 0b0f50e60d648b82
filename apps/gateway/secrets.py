"""Backend API keys at rest: Fernet with a key derived from SECRET_KEY, or read from an
environment variable the owner names. Never rendered back, exported or logged."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from homeops import redact


class KeyUnreadable(Exception):
    """The stored key was encrypted under another SECRET_KEY, or its variable is unset."""


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"homeops-gateway-backend-keys:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise KeyUnreadable("the stored API key cannot be read (was SECRET_KEY changed?); enter it again") from exc


def backend_api_key(*, encrypted: str, env_name: str) -> str:
    """The key to send upstream, or "" when the backend needs none."""
    if env_name:
        value = os.environ.get(env_name, "")
        if not value:
            raise KeyUnreadable(f"the environment variable {env_name} is not set")
        redact.remember(value, label=f"${env_name}")
        return value
    value = decrypt(encrypted) if encrypted else ""
    redact.remember(value)
    return value


# What a backend's error text may quote back: the Authorization header ("Incorrect API key
# provided: Bearer sk-..."), a key on its own, or a URL with a user and password in it.
_SCHEME_TOKEN = re.compile(r"(?i)\b(bearer|basic|token)\s+[^\s,;\"']+")
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_KEY_SHAPED = re.compile(r"\b(?:sk|pk|rk|hops|gsk|xai|hf|api|key)[-_][A-Za-z0-9][A-Za-z0-9_\-]{7,}")
# Long runs of letters AND digits (tokens, hashes): model names and words are shorter or lack one.
_LONG_TOKEN = re.compile(r"\b(?=[A-Za-z0-9_\-]*\d)(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{32,}")
REDACTED = "[redacted]"


def scrub(text: str, *, known: Iterable[str] = ()) -> str:
    """A backend's text without the secrets it may carry: the `known` ones (the backend's own
    key), any bearer token or key-shaped string, the credentials in URLs, and everything the
    log filter knows (homeops.redact). For the owner's pages; a member never sees a backend's
    text at all (upstream.UpstreamError.reason)."""
    for secret in sorted(filter(None, known), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = redact.redact(text)  # first: the patterns below then restate its marks as ours
    text = _SCHEME_TOKEN.sub(lambda m: f"{m[1]} {REDACTED}", text)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m[1]}{REDACTED}@", text)
    text = _KEY_SHAPED.sub(REDACTED, text)
    return _LONG_TOKEN.sub(REDACTED, text)
