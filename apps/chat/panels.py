"""What the chat app adds to the portal's shared pages (apps/core/dashboard.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.chat.services import options_for
from apps.core import dashboard


def _options(request: HttpRequest) -> dict[str, Any]:
    return options_for(request.user)


dashboard.register(
    dashboard.Panel(
        name="chat-box",
        template="chat/partials/dashboard_panel.html",
        order=20,
        capability="chat",
        context=_options,
    )
)
