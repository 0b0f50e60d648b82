"""What the binder app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from apps.core import navigation

navigation.register_menu_item(navigation.MenuItem("Binder", "binder:index", order=70, capability="binder"))
