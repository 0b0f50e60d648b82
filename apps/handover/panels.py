"""What the handover app adds to the portal's shared pages: its menu entry, its dashboard
panel and its Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.core import dashboard, navigation


def _panel(request: HttpRequest) -> dict[str, Any]:
    """The active handover, else the next one (the owner prepares it; the others learn of it
    when it starts)."""
    from apps.accounts.roles import can
    from apps.handover import services

    handover = services.active()
    if handover is None and can(request.user, "settings"):
        handover = services.current_or_next()
    if handover is None:
        return {}
    return {"handover": handover, "state": handover.state(), "caretakers": services.caretakers_of(handover)}


dashboard.register(
    dashboard.Panel(
        name="handover",
        template="handover/partials/dashboard_panel.html",
        order=30,
        capability="handover",
        context=_panel,
        wide=False,
    )
)

navigation.register_menu_item(navigation.MenuItem("Handover", "handover:index", order=40, capability="handover"))
navigation.register_settings_page(
    navigation.SettingsPage(
        "Handovers",
        "handover:settings",
        order=60,
        description="Prepare the page a friend follows while you are away: dates, caretakers, welcome note, key "
        "runbooks, what to do if something happens. With the caretakers' access log.",
        links=(("Access log", "handover:access_log"),),
    )
)
navigation.register_settings_page(
    navigation.SettingsPage(
        "Contacts",
        "handover:contacts",
        order=65,
        description="Whom to call: the ISP, the electrician, the neighbour with a key, you. Shown in the handover.",
    )
)
