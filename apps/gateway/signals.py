"""Any change that the request path reads bumps the snapshot version (snapshot.py)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from apps.accounts.models import Member
from apps.gateway import snapshot
from apps.gateway.models import ApiKey, Backend, GatewaySettings, Policy, Route, Target

User = get_user_model()


# Saves of these fields change nothing the request path reads: a member signing in writes
# last_login, and that must not make every process reload the snapshot.
IRRELEVANT = frozenset({"last_login"})


def _changed(update_fields: frozenset[str] | None = None, **kwargs) -> None:
    if update_fields and update_fields <= IRRELEVANT:
        return
    # After commit: another process must not reload before the change is visible to it.
    transaction.on_commit(snapshot.bump)


for _model in (Backend, Route, Target, Policy, ApiKey, GatewaySettings, Member, User):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"gateway-{_model.__name__}-save")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"gateway-{_model.__name__}-delete")
m2m_changed.connect(_changed, sender=User.groups.through, dispatch_uid="gateway-user-groups")
