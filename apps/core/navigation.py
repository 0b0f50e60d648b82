"""The main menu and the Settings page's cards: each app registers its own entries (in its
`panels.py`, discovered at start-up like the dashboard panels), so core names no feature
app. An entry shows for the members whose role has its capability (apps/accounts/roles.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.urls import reverse

from apps.accounts.roles import CAPABILITIES, can


@dataclass(frozen=True)
class MenuItem:
    """An entry of the main navigation."""

    label: str
    url_name: str
    order: int
    capability: str


@dataclass(frozen=True)
class SettingsPage:
    """A card on the Settings page: its title links to the page; `links` are further pages
    named at the end of the description, as (label, URL name)."""

    title: str
    url_name: str
    order: int
    description: str
    capability: str = "settings"
    links: tuple[tuple[str, str], ...] = ()


def _always(user: User | AnonymousUser) -> bool:
    return True


@dataclass(frozen=True)
class AccountItem:
    """An entry of the account menu under the member's name. `shown(user)` hides it from a
    member who has the capability but nothing to use it for (API keys without a model)."""

    label: str
    url_name: str
    order: int
    capability: str
    shown: Callable[[User | AnonymousUser], bool] = _always


_MENU: dict[str, MenuItem] = {}
_SETTINGS: dict[str, SettingsPage] = {}
_ACCOUNT: dict[str, AccountItem] = {}


def _known(capability: str, what: str) -> None:
    if capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r} for {what}; add it to CAPABILITIES.")


def register_menu_item(item: MenuItem) -> None:
    _known(item.capability, f"the menu item {item.label!r}")
    _MENU[item.url_name] = item


def register_settings_page(page: SettingsPage) -> None:
    _known(page.capability, f"the Settings page {page.title!r}")
    _SETTINGS[page.url_name] = page


def register_account_item(item: AccountItem) -> None:
    _known(item.capability, f"the account menu item {item.label!r}")
    _ACCOUNT[item.url_name] = item


def unregister(url_name: str) -> None:
    _MENU.pop(url_name, None)
    _SETTINGS.pop(url_name, None)
    _ACCOUNT.pop(url_name, None)


def menu() -> list[MenuItem]:
    return sorted(_MENU.values(), key=lambda i: (i.order, i.label))


def settings_pages() -> list[SettingsPage]:
    return sorted(_SETTINGS.values(), key=lambda p: (p.order, p.title))


def items_for(capabilities: dict[str, bool], current_path: str) -> list[dict[str, Any]]:
    items = []
    for item in menu():
        if capabilities.get(item.capability):
            url = reverse(item.url_name)
            items.append({"label": item.label, "url": url, "current": current_path.startswith(url)})
    return items


def account_items_for(user: User | AnonymousUser, current_path: str) -> list[dict[str, Any]]:
    items = []
    for item in sorted(_ACCOUNT.values(), key=lambda i: (i.order, i.label)):
        if can(user, item.capability) and item.shown(user):
            url = reverse(item.url_name)
            items.append({"label": item.label, "url": url, "current": current_path == url})
    return items


def settings_pages_for(user: User | AnonymousUser) -> list[dict[str, Any]]:
    return [
        {
            "title": page.title,
            "url": reverse(page.url_name),
            "description": page.description,
            "links": [(label, reverse(url_name)) for label, url_name in page.links],
        }
        for page in settings_pages()
        if can(user, page.capability)
    ]
