"""What the notify app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from apps.core import navigation

navigation.register_settings_page(
    navigation.SettingsPage(
        "Alert channels",
        "notify:channels",
        order=20,
        description="Where alerts go: Discord, email, a webhook, ntfy or Apprise. Quiet hours, reminders and a "
        "test button.",
    )
)
