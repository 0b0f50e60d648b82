"""What the maintenance app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

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


def _audit_failures(request: HttpRequest) -> dict[str, Any]:
    from apps.maintenance import audit  # the models load after the registries

    return {"audit_failures": list(audit.open_failures())}


# A failed audit item stays on the owner's home page until it is resolved (the panel shows
# nothing at all when none is open).
dashboard.register(
    dashboard.Panel(
        name="maintenance-audit-failures",
        template="maintenance/partials/audit_failures_panel.html",
        order=25,
        capability="maintenance",
        context=_audit_failures,
    )
)
