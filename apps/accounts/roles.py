"""Who may do what: the one place that decides.

Views, templates and tests ask `can(user, capability)`; nothing else looks at group
names. A capability names an area of the portal; later features add their own rows.
tests/accounts/test_role_matrix.py walks every URL for every role against this table.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

if TYPE_CHECKING:
    from django.contrib.auth.models import User  # settings.AUTH_USER_MODEL, as request.user
    from django.views import View

    _ViewBase = View  # the mixin goes before a View; mypy checks it as one
else:
    _ViewBase = object


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    FAMILY = "family", "Family"
    CARETAKER = "caretaker", "Caretaker"


ROLE_HELP = {
    Role.OWNER: "Runs the household's stack: every page and every setting.",
    Role.FAMILY: "Chats with the assistant and sees what works.",
    Role.CARETAKER: "Looks after the house while the owner is away: status, runbooks and handover.",
}

_EVERYONE = frozenset(Role)
_OWNER = frozenset({Role.OWNER})

CAPABILITIES: dict[str, frozenset[Role]] = {
    "home": _EVERYONE,
    "chat": frozenset({Role.OWNER, Role.FAMILY}),
    "status": _EVERYONE,
    "status_manage": _OWNER,  # pause, mute, check now; hosts and services
    "runbooks": _EVERYONE,  # each reads the runbooks of the audiences their role may (runbooks.Audience)
    "runbooks_edit": _OWNER,  # write, restore, mark reviewed, delete
    "handover": _EVERYONE,
    "handover_note": frozenset({Role.OWNER, Role.CARETAKER}),  # add a line to the active handover's log
    # Everyone sees the maintenance calendar (a caretaker only the tasks assigned to them, see
    # apps/maintenance/selectors.py) and completes what is assigned to them; the owner plans.
    "maintenance": _EVERYONE,
    "maintenance_plan": _OWNER,  # create, edit and delete tasks; see everyone's
    "ledger": _OWNER,
    "binder": _OWNER,
    "maintenance_trials": _OWNER,  # prompt sets, model-update trials, rolling a route forward or back
    "settings": _OWNER,  # also the model gateway's backends, routes, policies and content logging
    "api_keys": _EVERYONE,  # each member's own keys for /v1
    "usage": _EVERYONE,  # the owner sees everyone's usage, the others their own
}


def role_of(user: User | AnonymousUser) -> Role | None:
    """The member's role; the first matching group wins if someone is in several."""
    if not user.is_authenticated or not user.is_active:
        return None
    cache = user.__dict__  # kept on the user object for the request, as a cached_property would be
    if "_homeops_role" not in cache:
        cache["_homeops_role"] = role_in_groups(user)
    return cache["_homeops_role"]


def role_in_groups(user: User | AnonymousUser) -> Role | None:
    """The role a user's groups give, whether or not the user may sign in now."""
    names = {group.name for group in user.groups.all()}  # uses prefetch_related("groups")
    return next((r for r in Role if r.value in names), None)


def can(user: User | AnonymousUser, capability: str) -> bool:
    if capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}; add it to CAPABILITIES.")
    role = role_of(user)
    return role is not None and role in CAPABILITIES[capability]


def role_can(role: Role | str | None, capability: str) -> bool:
    """What a role may do, whoever has it: the handover's preview shows the owner the page as
    the caretaker will see it."""
    if capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}; add it to CAPABILITIES.")
    return role is not None and role in CAPABILITIES[capability]


def capabilities_of(user: User | AnonymousUser) -> dict[str, bool]:
    return {name: can(user, name) for name in CAPABILITIES}


def forbidden(request: HttpRequest, capability: str) -> HttpResponse:
    allowed = [role.label.lower() for role in Role if role in CAPABILITIES[capability]]
    return render(request, "403.html", {"allowed": " and ".join(allowed)}, status=403)


def require(capability: str) -> Callable:
    """View decorator: a signed-in member without the capability gets a plain 403 page.

    Anonymous visitors never get here: LoginRequiredMiddleware sends them to sign in.
    """
    if capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}; add it to CAPABILITIES.")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not can(request.user, capability):
                return forbidden(request, capability)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class RequireMixin(_ViewBase):
    """Class-based views: set `capability = "settings"`."""

    capability: str = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can(request.user, self.capability):
            return forbidden(request, self.capability)
        return super().dispatch(request, *args, **kwargs)
