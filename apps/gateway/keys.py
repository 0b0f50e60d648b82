"""Personal API keys: shown once, stored as a sha256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from apps.gateway.models import ApiKey

PREFIX = "hops-"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(*, member, name: str) -> tuple[ApiKey, str]:
    """The new row and the key itself, which is never stored or shown again."""
    key = PREFIX + secrets.token_urlsafe(32)
    row = ApiKey.objects.create(member=member, name=name.strip() or "key", prefix=key[:12], hashed=hash_key(key))
    return row, key


def revoke(row: ApiKey) -> None:
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
