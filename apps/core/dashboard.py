"""Dashboard panels: each app contributes its own panel to the home page, so core imports no
feature app. An app registers its panels in its own `panels.py`, which core imports at
start-up (CoreConfig.ready); the home page shows, in order, the panels whose capability
(apps/accounts/roles.py) the member has, each rendered from its own template and context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from apps.accounts.roles import CAPABILITIES, can


def no_context(request: HttpRequest) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Panel:
    """`name` is the panel's id on the page; a `wide` panel takes the page's width, the others
    sit side by side in a grid with their neighbours."""

    name: str
    template: str
    order: int
    capability: str
    context: Callable[[HttpRequest], dict[str, Any]] = no_context
    wide: bool = True


@dataclass(frozen=True)
class Row:
    """One wide panel, or the small panels that follow one another (shown as a grid)."""

    grid: bool
    panels: list[SafeString]


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    if panel.capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {panel.capability!r} for the {panel.name} panel.")
    _PANELS[panel.name] = panel


def unregister(name: str) -> None:
    _PANELS.pop(name, None)


def panels() -> list[Panel]:
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.name))


def panels_for(request: HttpRequest) -> list[Panel]:
    return [panel for panel in panels() if can(request.user, panel.capability)]


# --- The home page's one line ------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """A clause of the line at the top of the home page, what matters to the family first (can
    I chat? what is off?). `sentence(request)` gives it in words, or "" when there is nothing
    to say; `detail` names the page (a URL name) where the whole story is, one tap away."""

    name: str
    order: int
    capability: str
    sentence: Callable[[HttpRequest], str]
    detail: str = ""
    detail_label: str = ""


_HEADLINES: dict[str, Headline] = {}


def register_headline(headline: Headline) -> None:
    if headline.capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {headline.capability!r} for the {headline.name} headline.")
    _HEADLINES[headline.name] = headline


def headlines() -> list[Headline]:
    return sorted(_HEADLINES.values(), key=lambda h: (h.order, h.name))


def headline_for(request: HttpRequest) -> dict[str, Any]:
    """The clauses this member may read, and the pages with their detail."""
    clauses, details = [], []
    for headline in headlines():
        if not can(request.user, headline.capability):
            continue
        words = headline.sentence(request)
        if words:
            clauses.append(words)
            if headline.detail:
                details.append((reverse(headline.detail), headline.detail_label))
    return {"headline": " ".join(clauses), "headline_details": details}


def rows_for(request: HttpRequest) -> list[Row]:
    """The member's panels, rendered, in rows; a panel's context is only built if it is shown."""
    rows: list[Row] = []
    for panel in panels_for(request):
        html = render_to_string(panel.template, panel.context(request), request=request)
        if not panel.wide and rows and rows[-1].grid:
            rows[-1].panels.append(html)
        else:
            rows.append(Row(grid=not panel.wide, panels=[html]))
    return rows
