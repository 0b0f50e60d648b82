"""What the accounts app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from apps.core import navigation

navigation.register_settings_page(
    navigation.SettingsPage(
        "Members",
        "accounts:members",
        order=10,
        description="Who may sign in, with which role, and for how long. Invite family and a caretaker.",
    )
)
