"""What the maintenance app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.accounts.roles import can
from apps.core import dashboard, navigation
from apps.maintenance import schedule, selectors


def _due(request: HttpRequest) -> dict[str, Any]:
    """The owner sees everything due or overdue; the others what is theirs."""
    tasks = selectors.visible_tasks(request.user) if can(request.user, "maintenance_plan") else None
    tasks = tasks if tasks is not None else selectors.my_tasks(request.user)
    today = schedule.today()
    agenda = selectors.agenda(tasks, today=today)
    return {
        "maintenance_due": agenda.due[:8],
        "maintenance_next": agenda.later[0] if agenda.later else None,
        "maintenance_today": today,
    }


dashboard.register(
    dashboard.Panel(
        name="maintenance-due",
        template="maintenance/partials/dashboard_panel.html",
        order=40,
        capability="maintenance",
        context=_due,
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
        capability="maintenance_plan",
        context=_audit_failures,
    )
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
