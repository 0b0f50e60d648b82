"""Members and users are read by the request path too (roles, access windows, who is active),
but their writes belong to the accounts app, which must not import the gateway (the gateway
builds on accounts, not the other way round). So for those two models, and only those, the
gateway listens; its own models announce their changes explicitly (snapshot.announce, called by
the write services in services.py)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save

from apps.accounts.models import Member
from apps.gateway import snapshot

User = get_user_model()


# Saves of these fields change nothing the request path reads: a member signing in writes
# last_login, and that must not make every process reload the snapshot.
IRRELEVANT = frozenset({"last_login"})


def _changed(update_fields: frozenset[str] | None = None, **kwargs) -> None:
    if update_fields and update_fields <= IRRELEVANT:
        return
    snapshot.announce()


for _model in (Member, User):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"gateway-{_model.__name__}-save")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"gateway-{_model.__name__}-delete")
m2m_changed.connect(_changed, sender=User.groups.through, dispatch_uid="gateway-user-groups")
