"""What the maintenance app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from apps.core import dashboard, navigation

dashboard.register(
    dashboard.Panel(
        name="maintenance-due",
        template="maintenance/partials/dashboard_panel.html",
        order=40,
        capability="maintenance",
        wide=False,
    )
)

navigation.register_menu_item(
    navigation.MenuItem("Maintenance", "maintenance:index", order=50, capability="maintenance")
)
