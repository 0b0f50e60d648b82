"""What the runbooks app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from apps.core import dashboard, navigation

dashboard.register(
    dashboard.Panel(
        name="handover",
        template="runbooks/partials/dashboard_panel.html",
        order=30,
        capability="handover",
        wide=False,
    )
)

navigation.register_menu_item(navigation.MenuItem("Runbooks", "runbooks:index", order=30, capability="runbooks"))
navigation.register_menu_item(navigation.MenuItem("Handover", "runbooks:handover", order=40, capability="handover"))
