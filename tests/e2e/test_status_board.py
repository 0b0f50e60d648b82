"""The status board changes in the browser without a reload."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.status import engine
from apps.status.models import Host, Kind, Service, State
from tests.conftest import make_member
from tests.e2e.conftest import screenshot
from tests.e2e.test_signin import sign_in
from tests.fixtures.http_server import LocalHTTPServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def poll() -> None:
    """One polling round on its own thread, as a worker would run it: Playwright's sync API
    keeps an event loop running on the test thread, where asyncio.run() may not start."""

    errors: list[BaseException] = []

    def work() -> None:
        try:
            engine.run_round()
        except BaseException as exc:  # re-raised on the test thread below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=30)
    if errors:
        raise errors[0]


def test_the_board_changes_without_a_reload(page, live_server):
    make_member("bob", Role.FAMILY)
    server = LocalHTTPServer().start()
    nas = Host.objects.create(name="NAS", description="Synology NAS")
    nas_check = Service.objects.create(
        name="nas",
        label="NAS",
        host=nas,
        kind=Kind.TCP,
        check_config={"host": "127.0.0.1", "port": server.port},
        retries=0,
        what_to_do="Check that it has power.",
    )
    for name, label in (("forgejo", "Forgejo"), ("grafana", "Grafana")):
        dep = Service.objects.create(
            name=name,
            label=label,
            host=nas,
            kind=Kind.HTTP,
            check_config={"url": server.answer(f"/{name}")},
            retries=0,
        )
        dep.depends_on.add(nas_check)
    Service.objects.create(
        name="chat", label="Chat assistant", kind=Kind.HTTP, check_config={"url": server.answer("/chat")}, retries=0
    )
    poll()
    try:
        sign_in(page, live_server, "bob")
        page.goto(f"{live_server.url}/status/")
        row = page.locator('tr[data-service="forgejo"]')
        expect(row.locator(".badge")).to_have_text("Up")
        expect(page.get_by_role("status").first).to_have_text("All 4 services are working.")
        page.evaluate("window.__noReload = true")
        screenshot(page, "status-board")

        server.stop()  # the NAS goes dark
        Service.objects.update(next_check_at=timezone.now())
        poll()
        expect(row.locator(".badge")).to_have_text("Unreachable", timeout=15_000)
        expect(page.locator('tr[data-service="nas"] .badge')).to_have_text("Down")
        expect(page.locator("#board .status-sentence")).to_contain_text("so Forgejo and Grafana are unreachable")
        assert page.evaluate("window.__noReload") is True  # htmx swapped the board in place
        # The glance: counts by state, problems first, and the reason in the unreachable rows.
        expect(page.locator("#board .summary-strip")).to_have_text(re.compile(r"2\s*down\s*2\s*waiting for another"))
        expect(page.locator("#board section").first.locator("tbody tr").first).to_have_attribute("data-service", "nas")
        expect(row.locator("td.says")).to_have_text("Depends on NAS, which is down.")
        expect(row.locator(".tick")).to_have_count(2)  # the last checks: up, then red
        expect(row.locator(".tick").last).to_have_class("tick bad")
        assert Service.objects.get(name="chat").state == State.DOWN
        screenshot(page, "status-board-down")
    finally:
        server.stop()


def test_the_board_reads_well_on_a_phone(phone, live_server):
    make_member("bob", Role.FAMILY)
    Service.objects.create(
        name="nas",
        label="NAS",
        kind=Kind.TCP,
        check_config={"host": "127.0.0.1", "port": 9},
        state=State.UP,
        message="port 5001 accepted a connection in 3 ms",
    )
    sign_in(phone, live_server, "bob")
    phone.goto(f"{live_server.url}/status/")
    expect(phone.locator('tr[data-service="nas"] .badge')).to_have_text("Up")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # A compact row: name and state on one line, what it says below; no column headings.
    row = phone.locator('tr[data-service="nas"]').bounding_box()
    assert row["height"] < 90, row
    expect(phone.locator("table.board thead")).to_be_hidden()
    screenshot(phone, "status-board-phone")


def test_the_owner_adds_a_service_and_tests_it_first(page, live_server):
    make_member("alice", Role.OWNER)
    server = LocalHTTPServer().start()
    try:
        url = server.answer("/health", body="Photos OK")
        sign_in(page, live_server, "alice")
        page.get_by_role("link", name="Settings").click()
        page.get_by_role("link", name="Checks").click()
        page.get_by_role("link", name="Add a service").click()
        page.get_by_label("Name", exact=True).fill("photos")
        page.get_by_label("Label for the family").fill("Photo library")
        page.get_by_label("URL", exact=True).fill(url)
        page.get_by_label("More check settings (YAML)").fill("keyword: Photos")
        page.get_by_role("button", name="Test this check").click()
        expect(page.get_by_role("status")).to_contain_text("Test: Up.")
        screenshot(page, "service-form")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name="Photo library")).to_be_visible()
        assert Service.objects.get(name="photos").check_config["keyword"] == "Photos"
    finally:
        server.stop()
