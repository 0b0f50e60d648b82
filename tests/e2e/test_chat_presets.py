"""Chat presets in the browser: Alice (owner) adds a locked "Homework helper" for the family,
after a mistake the page explains; Bob (family) then finds it set in his conversation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.chat.models import Conversation, Preset
from tests.conftest import make_member
from tests.e2e.conftest import screenshot
from tests.e2e.test_signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HOMEWORK = "You are a patient tutor for a 12-year-old. Explain step by step; do not give the answer."


def household() -> dict:
    alice = make_member("alice", Role.OWNER)
    bob = make_member("bob", Role.FAMILY)
    short = Preset.objects.create(name="Short answers", prompt="Answer in two or three sentences.", member=bob)
    Preset.objects.create(name="Sysadmin", prompt="You help run a home lab. Give exact commands.", role=Role.OWNER)
    chat = Conversation.objects.create(owner=bob, title="Volcanoes", preset=short)
    return {"alice": alice, "bob": bob, "chat": chat}


def test_the_owner_locks_a_homework_helper_for_the_family(page, browser, live_server):
    people = household()
    sign_in(page, live_server, "alice")
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Chat presets").click()
    expect(page.get_by_role("heading", name="Chat presets")).to_be_visible()
    page.get_by_role("link", name="Add a preset").click()

    page.get_by_label("For a role").select_option("family")
    page.get_by_label("Or for one member").select_option("bob")
    page.get_by_label("Name").fill("Homework helper")
    page.get_by_label("Instructions for the assistant").fill(HOMEWORK)
    page.get_by_role("checkbox", name="Locked").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("The preset is not saved yet")
    expect(page.get_by_text("Choose a role or a member, not both.")).to_be_visible()
    screenshot(page, "chat-preset-errors")
    assert not Preset.objects.filter(name="Homework helper").exists()

    page.get_by_label("Or for one member").select_option("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Saved “Homework helper”. It is locked: everyone with the family role always gets it"
    )
    family = page.locator("#for-role-family")
    expect(family).to_contain_text("Everyone with the family role gets Homework helper in every conversation")
    expect(family.locator('tr:has-text("Homework helper") .badge')).to_have_text("locked")
    expect(page.locator("#for-member-bob")).to_contain_text("1 conversation")
    preset = Preset.objects.get(name="Homework helper")
    assert (preset.role, preset.member, preset.locked) == ("family", None, True)
    screenshot(page, "chat-presets")

    # Bob's conversation now uses it, and he cannot change that.
    bob_page = browser.new_context().new_page()
    sign_in(bob_page, live_server, "bob")
    bob_page.goto(f"{live_server.url}/chat/{people['chat'].pk}/")
    bob_page.get_by_text("Conversation", exact=True).click()
    expect(bob_page.get_by_text("(set by the owner, cannot be changed)")).to_be_visible()
    expect(bob_page.get_by_label("Your own instructions")).to_have_count(0)
    bob_page.context.close()


def test_the_preset_pages_read_well_on_a_phone(phone, live_server):
    household()
    Preset.objects.create(name="Homework helper", prompt=HOMEWORK, role=Role.FAMILY, locked=True)
    sign_in(phone, live_server, "alice")
    phone.goto(f"{live_server.url}/settings/chat/")
    expect(phone.get_by_role("heading", name="Chat presets")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "chat-presets-phone")
    phone.get_by_role("link", name="Edit Homework helper").click()
    expect(phone.get_by_label("Instructions for the assistant")).to_have_value(HOMEWORK)
    expect(phone.get_by_text("Without it, everyone with the family role can choose")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "chat-preset-form-phone")
