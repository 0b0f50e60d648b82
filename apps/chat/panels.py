"""What the chat app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.chat.services import options_for
from apps.core import dashboard, navigation


def _options(request: HttpRequest) -> dict[str, Any]:
    user = request.user  # a panel with a capability is only shown to members
    return options_for(user) if user.is_authenticated else {}


dashboard.register(
    dashboard.Panel(
        name="chat-box",
        template="chat/partials/dashboard_panel.html",
        order=20,
        capability="chat",
        context=_options,
    )
)

navigation.register_menu_item(navigation.MenuItem("Chat", "chat:index", order=10, capability="chat"))
navigation.register_settings_page(
    navigation.SettingsPage(
        "Chat presets",
        "chat:presets",
        order=50,
        description="Ready-made instructions for the assistant, for a role or one member, such as a homework "
        "helper. A locked preset is always used.",
    )
)
