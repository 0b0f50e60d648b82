"""What the status app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from django.http import HttpRequest

from apps.core import dashboard, navigation
from apps.status.selectors import headline


def _headline(request: HttpRequest) -> str:
    return headline()


# The home page's line: what is off and how much waits for it (the board has the rest).
dashboard.register_headline(
    dashboard.Headline(
        name="status",
        order=20,
        capability="status",
        sentence=_headline,
        detail="status:index",
        detail_label="Status board",
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
