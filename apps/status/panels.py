"""What the status app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.core import dashboard, navigation
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

navigation.register_menu_item(navigation.MenuItem("Status", "status:index", order=20, capability="status"))
navigation.register_settings_page(
    navigation.SettingsPage(
        "Checks",
        "status:checks",
        order=30,
        description="Hosts, services and backup heartbeats that the status board watches.",
    )
)
