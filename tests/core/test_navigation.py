"""The main menu and the Settings page: each app registers its own entries; core lists them
in order, for the roles whose capability they name."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from apps.core import navigation
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _registries_as_they_were():
    """Each test leaves the registries as the apps made them: unregistering a test's own entry
    must not take away the real one of the same name (the account menu's "API keys" went
    missing for the role-matrix tests that ran after this file)."""
    kept = (dict(navigation._MENU), dict(navigation._SETTINGS), dict(navigation._ACCOUNT))
    yield
    for registry, before in zip((navigation._MENU, navigation._SETTINGS, navigation._ACCOUNT), kept, strict=True):
        registry.clear()
        registry.update(before)


SETTINGS_PAGES = [
    ("Members", "accounts:members"),
    ("Alert channels", "notify:channels"),
    ("Checks", "status:checks"),
    ("Model gateway", "gateway:settings"),
    ("Model trials", "maintenance:trials"),
    ("Chat presets", "chat:presets"),
    ("Handovers", "handover:settings"),
    ("Contacts", "handover:contacts"),
    ("Ledger", "ledger:settings"),
    ("Configuration file", "core:config"),
    ("Health", "core:healthz"),
]


def card_titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="[^"]+">([^<]+)</a></h2>', html)


def test_each_app_registers_its_settings_page_in_order():
    assert [(p.title, p.url_name) for p in navigation.settings_pages()] == SETTINGS_PAGES


def test_the_settings_page_lists_them_with_links(client, alice):
    html = signed_in(client, alice).get(reverse("core:settings")).content.decode()
    assert card_titles(html) == [title for title, _ in SETTINGS_PAGES]
    for _, url_name in SETTINGS_PAGES:
        assert f'href="{reverse(url_name)}"' in html
    assert f'See <a href="{reverse("gateway:usage")}">usage</a>.' in html


def test_each_app_registers_its_menu_entry_in_order():
    assert [i.label for i in navigation.menu()] == [
        "Chat",
        "Status",
        "Runbooks",
        "Handover",
        "Maintenance",
        "Ledger",
        "Binder",
        "Settings",
    ]


@pytest.fixture
def backups_page():
    page = navigation.SettingsPage(
        "Backups", "core:config_export", order=85, description="Snapshots and the off-site copy."
    )
    navigation.register_settings_page(page)
    navigation.register_menu_item(navigation.MenuItem("Backups", "core:config_export", order=75, capability="binder"))
    yield page
    navigation.unregister("core:config_export")


def test_a_page_registered_by_another_app_shows_in_the_menu_and_on_settings(client, alice, bob, backups_page):
    html = signed_in(client, alice).get(reverse("core:settings")).content.decode()
    assert card_titles(html)[-3:] == ["Backups", "Configuration file", "Health"]
    assert "Snapshots and the off-site copy." in html
    nav = re.search(r'<nav class="main".*?</nav>', html, re.S).group(0)
    assert re.findall(r">([A-Z][a-z]+)</a>", nav)[-3:] == ["Binder", "Backups", "Settings"]
    html = signed_in(client, bob).get("/").content.decode()
    assert "Backups" not in re.search(r'<nav class="main".*?</nav>', html, re.S).group(0)


def test_a_settings_page_for_another_capability_shows_only_to_those_who_have_it(alice, charlie):
    navigation.register_settings_page(
        navigation.SettingsPage("Your keys", "gateway:keys", order=5, description="Keys.", capability="binder")
    )
    assert [p["title"] for p in navigation.settings_pages_for(alice)][0] == "Your keys"
    assert navigation.settings_pages_for(charlie) == []


def test_an_entry_must_name_a_known_capability():
    with pytest.raises(KeyError, match="Unknown capability 'backups'"):
        navigation.register_menu_item(navigation.MenuItem("Backups", "core:config", order=1, capability="backups"))
