"""What the maintenance app adds to the portal's shared pages (apps/core/dashboard.py)."""

from __future__ import annotations

from apps.core import dashboard

dashboard.register(
    dashboard.Panel(
        name="maintenance-due",
        template="maintenance/partials/dashboard_panel.html",
        order=40,
        capability="maintenance",
        wide=False,
    )
)
