"""What the runbooks app adds to the portal's shared pages (apps/core/dashboard.py)."""

from __future__ import annotations

from apps.core import dashboard

dashboard.register(
    dashboard.Panel(
        name="handover",
        template="runbooks/partials/dashboard_panel.html",
        order=30,
        capability="handover",
        wide=False,
    )
)
