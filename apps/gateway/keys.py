"""Personal API keys: shown once, stored as a sha256 hash, revocable (services.api_key_*)."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "hops-"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)
