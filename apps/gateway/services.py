"""Writes for the gateway's settings: backend keys, model discovery."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from apps.gateway import secrets, upstream
from apps.gateway.models import Backend


def set_api_key(backend: Backend, plain: str) -> None:
    """Write-only: stored encrypted; an empty value keeps the current key."""
    if plain:
        backend.api_key_encrypted = secrets.encrypt(plain)
        backend.save(update_fields=["api_key_encrypted"])


def clear_api_key(backend: Backend) -> None:
    backend.api_key_encrypted = ""
    backend.save(update_fields=["api_key_encrypted"])


def discover_models(backend: Backend) -> tuple[list[str], str]:
    """Ask the backend for its models: (names, "") or ([], what went wrong)."""
    try:
        key = secrets.backend_api_key(encrypted=backend.api_key_encrypted, env_name=backend.api_key_env)
        names = upstream.list_models(
            kind=backend.kind, base_url=backend.base_url, api_key=key, timeout=min(backend.timeout, 10.0)
        )
    except secrets.KeyUnreadable as exc:
        return [], str(exc)
    except upstream.UpstreamError as exc:  # the owner's pages: what the backend said, redacted
        return [], exc.for_owner()
    return names, ""


def refresh_models(backend: Backend) -> str:
    """Store what the backend offers; keeps the last good list when it does not answer."""
    names, problem = discover_models(backend)
    fields: dict[str, Any] = {"models_error": problem[:300]}
    if not problem:
        fields.update(model_names=names, models_refreshed_at=timezone.now())
    Backend.objects.filter(pk=backend.pk).update(**fields)
    for name, value in fields.items():
        setattr(backend, name, value)
    return problem


def missing_models(backend: Backend) -> list[str]:
    """Models that routes ask of this backend but its last discovery did not list."""
    if not backend.models_refreshed_at:
        return []
    offered = set(backend.model_names)
    wanted = {t.model for t in backend.targets.all()}
    return sorted(m for m in wanted if m not in offered and f"{m}:latest" not in offered)
