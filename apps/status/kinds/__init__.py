"""The check kinds: one module each in this package, as notify's transports are one module
per channel kind. A module defines a CheckKind subclass and registers it with `@register`;
every module here is imported when the package is, so adding a kind is one new file (plus
its value in models.Kind, since the database stores it). `kind_for(kind)` picks the one.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, TypeVar

from apps.core import config
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


class _Problems(config.Report):
    """A Report that keeps each problem's path as a tuple, for a caller that places it itself."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[config.Path, str]] = []

    def error(self, path: config.Path, message: str) -> None:
        self.found.append((tuple(path), message))


def check_problems(kind: str, settings: Any) -> list[tuple[config.Path, str]]:
    """What is wrong with the settings of a check of `kind`: each problem with the path of the
    setting it is about, () for the check as a whole. The one judge of a check's settings:
    Service.clean asks it, so the Settings form and the configuration file hear the same."""
    check_kind = KINDS.get(kind)
    if check_kind is None or not check_kind.polled:
        return []
    problems = _Problems()
    if not config.check_keys(settings, (), problems, set(check_kind.options), set(check_kind.required)):
        return problems.found
    for key, rule in check_kind.options.items():
        if key in settings and (problem := rule(settings[key])):
            problems.error((key,), problem)
    check_kind.validate(settings, (), problems)
    return problems.found


def _discover() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base":
            importlib.import_module(f"{__name__}.{module.name}")


_discover()

__all__ = ["KINDS", "CheckKind", "check_problems", "kind_for", "polled", "register"]
