"""Backend API keys at rest: Fernet with a key derived from SECRET_KEY, or read from an
environment variable the owner names. Never rendered back, exported or logged."""

from __future__ import annotations

import base64
import hashlib
import os

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
