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

# Model-update trials: beside the model gateway on the Settings page.
navigation.register_settings_page(
    navigation.SettingsPage(
        title="Model trials",
        url_name="maintenance:trials",
        order=45,
        description="The household's own prompts per alias: try a new model against today's, vote blind, "
        "and roll the route forward or back.",
        capability="maintenance_trials",
    )
)
