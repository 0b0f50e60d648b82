"""The owner signs in and sees the dashboard; a family member sees only their navigation;
an invited caretaker joins through the link; a phone-width screenshot."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apps.accounts import services
from apps.accounts.roles import Role
from tests.conftest import PASSWORD, make_member
from tests.e2e.conftest import account_menu, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, login: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.get_by_label("Username or email").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def nav(page) -> list[str]:
    return page.locator("nav.main a").all_inner_texts()


def test_the_owner_signs_in_and_sees_the_dashboard(page, live_server):
    make_member("alice", Role.OWNER)
    sign_in(page, live_server, "alice")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Hello")).to_be_visible()
    expect(page.get_by_role("heading", name="What works")).to_be_visible()
    expect(page.get_by_role("heading", name="Ask the assistant")).to_be_visible()
    expect(page.get_by_role("heading", name="Maintenance due")).to_be_visible()
    assert nav(page) == ["Chat", "Status", "Runbooks", "Handover", "Maintenance", "Ledger", "Binder", "Settings"]
    # The stylesheet is served (whitenoise): the header bar is laid out as a flex row.
    assert page.eval_on_selector("header.top .bar", "el => getComputedStyle(el).display") == "flex"
    screenshot(page, "dashboard-owner")

    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Members").click()
    expect(page.get_by_role("cell", name=re.compile("alice"))).to_be_visible()
    screenshot(page, "members")

    account_menu(page).get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_a_family_member_sees_only_their_navigation(page, live_server):
    make_member("bob", Role.FAMILY)
    sign_in(page, live_server, "bob@example.com")
    expect(page.get_by_role("heading", name="Hello")).to_be_visible()
    assert nav(page) == ["Chat", "Status", "Runbooks", "Handover", "Maintenance"]
    expect(page.get_by_role("heading", name="Maintenance due")).to_have_count(0)  # nothing of theirs is due
    page.goto(f"{live_server.url}/settings/")
    expect(page.get_by_role("heading", name="This page is not for your role")).to_be_visible()


def test_a_wrong_password_is_explained(page, live_server):
    make_member("bob", Role.FAMILY)
    sign_in(page, live_server, "bob", "not it")
    expect(page.get_by_role("alert")).to_contain_text("not correct")


def test_the_owner_invites_a_caretaker_who_joins_through_the_link(page, browser, live_server):
    make_member("alice", Role.OWNER)
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/settings/members/invite/")
    page.get_by_role("radio", name=re.compile("Caretaker")).check()
    page.get_by_role("button", name="Create the invitation").click()
    link = page.get_by_label("Sign-in link").input_value()
    assert link.startswith(f"{live_server.url}/accounts/invite/")
    screenshot(page, "invitation-link")

    guest = browser.new_context().new_page()
    guest.goto(link)
    guest.get_by_label("Username").fill("charlie")
    guest.get_by_label("Password", exact=True).fill(PASSWORD)
    guest.get_by_label("Password again").fill(PASSWORD)
    guest.get_by_role("button", name="Create my account").click()
    expect(guest.get_by_text("Welcome, charlie. You are signed in.")).to_be_visible()
    assert nav(guest) == ["Status", "Runbooks", "Handover", "Maintenance"]
    guest.context.close()


def test_the_dashboard_reads_well_on_a_phone(phone, live_server):
    services.groups_ensure()
    make_member("alice", Role.OWNER)
    sign_in(phone, live_server, "alice")
    expect(phone.get_by_role("heading", name="Hello")).to_be_visible()
    # Nothing is wider than the screen: no sideways scrolling on a phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # The header is one row (it took three, about 200 px): brand, sections, account menu.
    header = phone.locator("header.top").bounding_box()
    assert header["height"] < 60, header
    menu = account_menu(phone)
    expect(menu.get_by_role("button", name="Sign out")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # the open menu fits too
    screenshot(phone, "account-menu-phone")
    menu.locator("summary").click()
    screenshot(phone, "dashboard-phone")
    phone.goto(f"{live_server.url}/settings/members/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "members-phone")


def test_the_password_pages_look_like_the_rest_of_the_portal(phone, live_server):
    make_member("bob", Role.FAMILY)
    sign_in(phone, live_server, "bob")
    account_menu(phone).get_by_role("link", name="Change password").click()
    expect(phone.get_by_role("heading", name="Change Password")).to_be_visible()
    main = phone.locator("main")
    expect(main).to_have_class("narrow card allauth-page")
    assert main.evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"  # on a card
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "password-change-phone")
    account_menu(phone).get_by_role("button", name="Sign out").click()
    phone.goto(f"{live_server.url}/accounts/password/reset/")
    expect(phone.locator("main")).to_have_class("narrow card allauth-page")
    screenshot(phone, "password-reset-phone")
