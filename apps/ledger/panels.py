"""What the ledger app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from apps.core import navigation

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
