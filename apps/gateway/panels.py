"""What the gateway app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from apps.core import navigation

navigation.register_settings_page(
    navigation.SettingsPage(
        "Model gateway",
        "gateway:settings",
        order=40,
        description="Backends that run the models, routes (what the family asks for, with fallbacks), policies "
        "(budgets, quiet hours) and content logging.",
        links=(("usage", "gateway:usage"),),
    )
)
