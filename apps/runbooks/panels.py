"""What the runbooks app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from apps.core import navigation

navigation.register_menu_item(navigation.MenuItem("Runbooks", "runbooks:index", order=30, capability="runbooks"))
