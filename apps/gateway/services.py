"""Every write to the gateway's settings, one function per entity and action. Each validates
(full_clean: the model is the one definition of its fields and rules), saves, and announces the
change so every process reloads its snapshot (snapshot.announce, once per transaction). Pages,
the configuration file and commands all write through here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from apps.gateway import keys, secrets, snapshot, upstream
from apps.gateway.models import ApiKey, AuditEntry, Backend, Endpoint, GatewaySettings, Policy, Route, Target

if TYPE_CHECKING:
    from django.contrib.auth.models import User  # settings.AUTH_USER_MODEL

# --- Backends ------------------------------------------------------------------------------


def backend_save(backend: Backend, fields: list[str] | None = None) -> Backend:
    backend.full_clean()
    backend.save(update_fields=fields)
    snapshot.announce()
    return backend


def backend_set_key(backend: Backend, plain: str) -> None:
    """Write-only: stored encrypted; an empty value keeps the current key."""
    if plain:
        backend.api_key_encrypted = secrets.encrypt(plain)
        backend_save(backend, ["api_key_encrypted"])


def backend_clear_key(backend: Backend) -> None:
    backend.api_key_encrypted = ""
    backend_save(backend, ["api_key_encrypted"])


def backend_delete(backend: Backend) -> None:
    backend.delete()  # and its targets
    snapshot.announce()


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


def backend_refresh_models(backend: Backend) -> str:
    """Store what the backend offers; keeps the last good list when it does not answer.
    Not announced: the request path does not read the list."""
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
    wanted = {t.model for t in backend.targets.all()}
    return sorted(m for m in wanted if not backend.offers(m))


# --- Routes and their targets --------------------------------------------------------------


def route_save(route: Route, fields: list[str] | None = None) -> Route:
    route.full_clean()
    route.save(update_fields=fields)
    snapshot.announce()
    return route


@transaction.atomic
def route_set_targets(route: Route, targets: list[Target]) -> list[Target]:
    """The route's whole list of targets, in the order they are tried: rows not in it go."""
    Route.check_targets([(target.backend.name, target.model) for target in targets])
    route.targets.exclude(pk__in=[target.pk for target in targets if target.pk]).delete()
    for position, target in enumerate(targets):
        target.route, target.position = route, position
        target.full_clean()
        target.save()
    snapshot.announce()
    return targets


def route_delete(route: Route) -> None:
    route.delete()
    snapshot.announce()


# --- Policies ------------------------------------------------------------------------------


def policy_save(policy: Policy, fields: list[str] | None = None) -> Policy:
    policy.full_clean()
    policy.save(update_fields=fields)
    snapshot.announce()
    return policy


def policy_delete(policy: Policy) -> None:
    policy.delete()
    snapshot.announce()


# --- API keys ------------------------------------------------------------------------------


def api_key_create(*, member: User, name: str) -> tuple[ApiKey, str]:
    """The new row and the key itself, which is never stored or shown again."""
    key = keys.new_key()
    row = ApiKey(member=member, name=name.strip() or "key", prefix=key[:12], hashed=keys.hash_key(key))
    row.full_clean()
    row.save()
    snapshot.announce()
    return row, key


def api_key_revoke(row: ApiKey) -> None:
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        snapshot.announce()


# --- Gateway settings ----------------------------------------------------------------------


def gateway_settings_log_content(*, on: bool, by: User) -> None:
    """Turning content logging on or off is itself an audit row."""
    with transaction.atomic():
        row = GatewaySettings.load()
        if row.log_content == on:
            return
        row.log_content = on
        row.full_clean()
        row.save()
        AuditEntry.objects.create(
            created=timezone.now(),
            member=by,
            endpoint=Endpoint.SETTINGS,
            status=200,
            error=f"content logging turned {'on' if on else 'off'} by {by.get_username()}",
        )
        snapshot.announce()
