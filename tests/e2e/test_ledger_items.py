"""Alice enters what the stack costs: the empty ledger says where to start, she adds the Mac
Studio as a purchase and backup storage as a subscription, records the storage's price rise,
and pays its bill; each page says the monthly figure in words. On a phone the list reads."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.ledger.models import Charge, CostItem, LedgerSettings
from tests.conftest import make_member
from tests.e2e.conftest import screenshot
from tests.e2e.test_signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_adds_a_purchase_and_a_subscription_changes_its_price_and_pays_it(page, phone, live_server):
    make_member("alice", Role.OWNER)
    LedgerSettings.load()
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/ledger/items/")
    expect(page.get_by_role("heading", name="Cost items")).to_be_visible()
    expect(page.locator(".empty")).to_contain_text("No costs recorded yet.")

    page.get_by_role("link", name="Add a purchase").click()
    expect(page.get_by_role("heading", name="Add a cost: a purchase")).to_be_visible()
    page.get_by_label("Name").fill("Mac Studio")
    page.get_by_label("Vendor").fill("Apple")
    page.get_by_label("Bought on").fill("2025-03-20")
    page.get_by_label("Useful life in months").fill("48")
    page.get_by_label("Price").fill("2,499.00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Mac Studio")).to_be_visible()
    expect(page.locator("main")).to_contain_text("2,499.00 over 48 months = 52.06 a month")

    page.goto(f"{live_server.url}/ledger/items/new/?kind=subscription")
    page.get_by_label("Name").fill("Off-site backup storage")
    page.get_by_label("Vendor").fill("Backblaze B2")
    page.get_by_label("First paid on").fill("2024-06-01")
    page.get_by_label("Price each period").fill("10.00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Off-site backup storage")).to_be_visible()

    page.get_by_role("link", name="Record a price change").click()
    page.get_by_label("New price").fill("12.00")
    page.get_by_label("From").fill("2025-10-01")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("costs 12.00 from 1 October 2025")
    history = page.locator("table.ledger-prices")
    expect(history).to_contain_text("10.00")
    expect(history).to_contain_text("12.00")
    screenshot(page, "ledger-item")

    page.goto(f"{live_server.url}/ledger/charges/new/")
    page.get_by_label("Paid on").fill(timezone.localdate().isoformat())
    page.get_by_label("For").select_option(label="Off-site backup storage")
    page.get_by_label("Amount").fill("12.00")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Added a charge of 12.00")
    assert Charge.objects.get().item == CostItem.objects.get(name="Off-site backup storage")

    page.goto(f"{live_server.url}/ledger/items/")
    expect(page.locator("main")).to_contain_text("64.06")  # 52.0625 + 12.00, a month
    screenshot(page, "ledger-items")

    sign_in(phone, live_server, "alice")
    phone.goto(f"{live_server.url}/ledger/items/")
    expect(phone.get_by_role("link", name="Mac Studio")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= phone.viewport_size["width"], "the list scrolls sideways on a phone"
    screenshot(phone, "ledger-items-phone")
