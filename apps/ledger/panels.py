"""What the ledger app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py), and the quarterly
audit's pointer to the bill review (apps/maintenance/audit.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.core import dashboard, navigation
from apps.maintenance import audit

navigation.register_menu_item(navigation.MenuItem("Ledger", "ledger:index", order=60, capability="ledger"))

navigation.register_settings_page(
    navigation.SettingsPage(
        title="Ledger",
        url_name="ledger:settings",
        order=70,
        description="The household's currency, the price per kWh, when a growing bill alerts, and the cloud "
        "alternative the monthly cost is compared with.",
        capability="ledger",
    )
)


def _creep(request: HttpRequest) -> dict[str, Any]:
    from apps.ledger import creep  # the models load after the registries

    alerts = creep.open_alerts()
    return {"creep_alerts": alerts, "ledger_unreviewed": not alerts and creep.never_reviewed()}


# Cost creep stays on the owner's home page until reviewed (the panel shows nothing at all
# while no alert is open); the "ledger" capability keeps it from family and caretakers.
dashboard.register(
    dashboard.Panel(
        name="ledger-creep",
        template="ledger/partials/creep_panel.html",
        order=26,
        capability="ledger",
        context=_creep,
    )
)


def _bills_pointer(today: Any) -> audit.BillsPointer:
    from apps.ledger import reviews

    return reviews.audit_pointer(today)


audit.register_bills_pointer(_bills_pointer)
