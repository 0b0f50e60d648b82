"""What the status app adds to the portal's shared pages (apps/core/dashboard.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.core import dashboard
from apps.status.selectors import sentence


def _sentence(request: HttpRequest) -> dict[str, Any]:
    return {"status_sentence": sentence()}


dashboard.register(
    dashboard.Panel(
        name="status-sentence",
        template="status/partials/dashboard_panel.html",
        order=10,
        capability="status",
        context=_sentence,
    )
)
