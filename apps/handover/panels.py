"""What the handover app adds to the portal's shared pages: its menu entry and dashboard panel
(apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from apps.core import dashboard, navigation

dashboard.register(
    dashboard.Panel(
        name="handover",
        template="handover/partials/dashboard_panel.html",
        order=30,
        capability="handover",
        wide=False,
    )
)

navigation.register_menu_item(navigation.MenuItem("Handover", "handover:index", order=40, capability="handover"))
