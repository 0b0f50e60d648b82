"""What the core app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from apps.core import dashboard, navigation

# The line at the top of the home page: each app's clause (dashboard.register_headline).
dashboard.register(
    dashboard.Panel(
        name="at-a-glance",
        template="core/partials/at_a_glance.html",
        order=10,
        capability="home",
        context=dashboard.headline_for,
    )
)

navigation.register_menu_item(navigation.MenuItem("Settings", "core:settings", order=100, capability="settings"))
navigation.register_settings_page(
    navigation.SettingsPage(
        "Configuration file",
        "core:config",
        order=90,
        description="Every setting as one YAML file: download it, keep it with your backups, import it on a new "
        "install.",
    )
)
navigation.register_settings_page(
    navigation.SettingsPage(
        "Health",
        "core:healthz",
        order=95,
        description="The web process, database, broker, worker and beat, as JSON (/healthz) for a monitor.",
    )
)
