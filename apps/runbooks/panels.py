"""What the runbooks app adds to the portal's shared pages: its menu entry, the owner's
dashboard panel of stale runbooks and its source for the navigation's search box
(apps/core/navigation.py, apps/core/dashboard.py, apps/core/finder.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from apps.core import dashboard, finder, navigation
from apps.runbooks import selectors

navigation.register_menu_item(navigation.MenuItem("Runbooks", "runbooks:index", order=30, capability="runbooks"))


def _stale(request: HttpRequest) -> dict[str, Any]:
    return {"stale": selectors.stale(request.user)}


# The owner's reminder; it shows nothing while every runbook is fresh.
dashboard.register(
    dashboard.Panel(
        name="runbooks-stale",
        template="runbooks/partials/stale_panel.html",
        order=60,
        capability="runbooks_edit",
        context=_stale,
    )
)


def _find(request: HttpRequest, query: str, limit: int) -> list[finder.Hit]:
    return [
        finder.Hit(
            title=row.runbook.title,
            url=reverse("runbooks:detail", args=[row.runbook.slug]),
            snippet=row.snippet,
            badge="stale" if row.stale else "",
        )
        for row in selectors.search(request.user, query, limit=limit)
    ]


finder.register(
    finder.Source(
        name="runbooks",
        label="Runbooks",
        order=10,
        capability="runbooks",
        find=_find,
        more=lambda query: reverse("runbooks:index") + "?" + urlencode({"q": query}),
    )
)
