"""The check kinds: one module each in this package, as notify's transports are one module
per channel kind. A module defines a CheckKind subclass and registers it with `@register`;
every module here is imported when the package is, so adding a kind is one new file (plus
its value in models.Kind, since the database stores it). `kind_for(kind)` picks the one.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TypeVar

from apps.status.kinds.base import CheckKind
from apps.status.models import Kind

KINDS: dict[str, CheckKind] = {}
K = TypeVar("K", bound=type[CheckKind])


def register(cls: K) -> K:
    """Class decorator: make `cls` the kind for `cls.kind`."""
    KINDS[cls.kind] = cls()
    return cls


def kind_for(kind: str) -> CheckKind:
    """KeyError for a kind that no module registered."""
    return KINDS[kind]


def polled() -> list[CheckKind]:
    """The kinds the engine runs, in the order of models.Kind (the owner's form lists them so)."""
    order = {value: position for position, value in enumerate(Kind.values)}
    return sorted((k for k in KINDS.values() if k.polled), key=lambda k: order.get(k.kind, len(order)))


def _discover() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base":
            importlib.import_module(f"{__name__}.{module.name}")


_discover()

__all__ = ["KINDS", "CheckKind", "kind_for", "polled", "register"]
