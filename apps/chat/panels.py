"""What the chat app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from apps.chat import services
from apps.chat.models import Conversation
from apps.chat.services import DASHBOARD_CHAT, headline, options_for, thread
from apps.core import dashboard, finder, navigation

# How much of the continued conversation the home page shows; the rest is one tap away.
DASHBOARD_MESSAGES = 4


def _options(request: HttpRequest) -> dict[str, Any]:
    options = options_for(request.user)
    pk = request.session.get(DASHBOARD_CHAT)
    chat = Conversation.objects.of(request.user).filter(pk=pk).first() if pk else None
    if chat is not None:
        shown = thread(chat)
        options.update(
            dashboard_chat=chat,
            dashboard_messages=shown[-DASHBOARD_MESSAGES:],
            dashboard_more=len(shown) > DASHBOARD_MESSAGES,
        )
    return options


dashboard.register(
    dashboard.Panel(
        name="chat-box",
        template="chat/partials/dashboard_panel.html",
        order=20,
        capability="chat",
        context=_options,
    )
)

# The home page's line starts with what matters most to the family: can I chat?
dashboard.register_headline(
    dashboard.Headline(name="assistant", order=10, capability="chat", sentence=lambda request: headline(request.user))
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


def _find(request: HttpRequest, query: str, limit: int) -> list[finder.Hit]:
    """The navigation's search box: the member's own conversations, never anyone else's."""
    found = list(services.search(request.user, query)[:limit])  # type: ignore[arg-type]  # a member
    snippets = services.search_snippets(found, query)
    return [finder.Hit(c.title, reverse("chat:conversation", args=[c.pk]), snippets.get(c.pk, "")) for c in found]


finder.register(
    finder.Source(
        name="chat",
        label="Your conversations",
        order=20,
        capability="chat",
        find=_find,
        more=lambda query: reverse("chat:index") + "?" + urlencode({"q": query}),
    )
)
