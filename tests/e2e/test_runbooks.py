"""The owner writes a runbook in the browser: from a starter, with the live preview, edits
it, reads the history and a diff, restores an old revision; an edit begun before someone
else's save shows the conflict instead of overwriting it. Screenshots of the list, a
runbook, the editor and the diff."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.runbooks import examples, services
from apps.runbooks.models import Runbook
from apps.status.models import Host, Kind, Service
from tests.conftest import make_member
from tests.e2e.conftest import screenshot
from tests.e2e.test_signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_writes_edits_compares_and_restores_a_runbook(page, live_server):
    alice = make_member("alice", Role.OWNER)
    studio = Host.objects.create(name="Studio")
    Service.objects.create(name="studio-ollama", label="Chat assistant (Studio)", host=studio, kind=Kind.OLLAMA)
    examples.create(author=alice)
    Runbook.objects.filter(slug="nas-full").update(created=timezone.now() - timedelta(days=200))
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/runbooks/")
    expect(page.get_by_role("heading", name="Runbooks")).to_be_visible()
    expect(page.locator(".runbook-list .badge.warn")).to_have_count(1)  # the NAS one is stale
    screenshot(page, "runbooks-list")
    page.get_by_role("link", name="Restart Ollama on the Studio").click()
    expect(page.get_by_role("link", name="Chat assistant (Studio)")).to_be_visible()
    screenshot(page, "runbook-page")
    page.goto(f"{live_server.url}/runbooks/")

    page.get_by_role("link", name="New runbook").click()
    page.get_by_role("link", name="Replace a disk").click()
    preview = page.locator("#preview")
    expect(preview.locator("li.step").first).to_be_visible()  # rendered on the server at once
    body = page.get_by_label("Steps and notes (Markdown)")
    body.fill("Swap the failing disk.\n\n- [ ] Check the **backup**\n- [ ] Pull bay 2\n")
    # The live preview (htmx, debounced) follows the typing without a reload.
    expect(preview.locator("strong", has_text="backup")).to_be_visible()
    expect(preview.locator("li.step")).to_have_count(2)
    screenshot(page, "runbook-editor")
    page.get_by_label("What changed").fill("first version")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/runbooks/replace-a-disk/")
    expect(page.locator(".runbook-body li.step")).to_have_count(2)

    page.get_by_role("link", name="Edit").click()
    body = page.get_by_label("Steps and notes (Markdown)")
    steps = "- [ ] Check the **backup**\n- [ ] Pull the tray of bay 2\n- [ ] Repair the pool\n"
    body.fill("Swap the failing disk.\n\n" + steps)
    page.get_by_label("What changed").fill("added the repair")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("revision 2")

    page.get_by_role("link", name="history").click()
    expect(page.get_by_role("heading", name="Revision 1 → revision 2")).to_be_visible()
    expect(page.locator("table.diff tr.add").last).to_contain_text("Repair the pool")
    page.get_by_label("Show").select_option("side")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("table.diff.side td.add").last).to_contain_text("Repair the pool")
    expect(page.locator("table.diff.side td.add mark").first).to_have_text(" the tray of")
    screenshot(page, "runbook-diff")

    page.get_by_role("button", name="Restore").click()
    expect(page.locator(".messages")).to_contain_text("Restored revision 1 as revision 3")
    expect(page.locator(".runbook-body li.step")).to_have_count(2)

    # A second edit that began from an outdated revision: the other person's save wins nothing silently.
    page.get_by_role("link", name="Edit").click()
    theirs = Runbook.objects.get(slug="replace-a-disk")
    theirs.body += "\n- [ ] Label the old disk"
    services.runbook_save(theirs, author=alice, note="their label step")
    page.get_by_label("Steps and notes (Markdown)").fill("Mine only.\n\n- [ ] My step\n")
    page.get_by_role("button", name="Save", exact=True).click()
    conflict = page.locator(".conflict")
    expect(conflict).to_contain_text("Someone saved this runbook while you were editing")
    expect(conflict.locator("tr.del")).to_contain_text(["Label the old disk"])
    expect(conflict.locator("tr.add")).to_contain_text(["My step"])
    screenshot(page, "runbook-conflict")
    assert Runbook.objects.get(slug="replace-a-disk").revision == 4
    conflict.get_by_role("button", name="Save mine anyway").click()
    expect(page).to_have_url(re.compile(r"/runbooks/replace-a-disk/$"))
    assert Runbook.objects.get(slug="replace-a-disk").revision == 5


def test_a_caretaker_reads_a_runbook_on_a_phone(phone, live_server):
    alice = make_member("alice", Role.OWNER)
    now = timezone.now()
    make_member("charlie", Role.CARETAKER, access_from=now - timedelta(days=1), access_until=now + timedelta(days=7))
    examples.create(author=alice)
    sign_in(phone, live_server, "charlie")
    phone.goto(f"{live_server.url}/runbooks/")
    expect(phone.locator(".runbook-list h2 a")).to_have_text(
        ["Restart Ollama on the Studio", "The chat is down", "The UPS is on battery"]
    )
    phone.get_by_role("link", name="The UPS is on battery").click()
    expect(phone.locator(".runbook-body li.step").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "runbook-phone")


def test_the_runbook_pages_keep_the_content_security_policy(page, live_server):
    from tests.e2e.test_csp import watch

    alice = make_member("alice", Role.OWNER)
    examples.create(author=alice)
    runbook = Runbook.objects.get(slug="nas-full")
    runbook.body += "\n\nChecked."
    services.runbook_save(runbook, author=alice)
    console = watch(page)
    sign_in(page, live_server, "alice")
    found: dict[str, list[str]] = {}
    for path in [
        "/runbooks/",
        "/runbooks/?tag=nas",
        "/runbooks/nas-full/",
        "/runbooks/nas-full/history/?a=1&b=2&view=side",
        "/runbooks/new/",
        "/runbooks/new/?from=power-out",
        "/search/?q=nas",
        "/runbooks/nas-full/edit/",  # last: the preview below types into it
    ]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("load")
        if violations := page.evaluate("window.__violations") + console:
            found[path] = list(violations)
        console.clear()
    # The live preview swaps HTML in under the policy too.
    page.get_by_label("Steps and notes (Markdown)").fill("- [ ] **Swapped** in")
    expect(page.locator("#preview strong")).to_have_text(["Swapped"])
    assert found == {} and page.evaluate("window.__violations") + console == []
    page.goto(f"{live_server.url}/")
    page.get_by_role("searchbox", name="Search").fill("nas full")
    page.keyboard.press("Enter")
    expect(page.locator(".search-results mark").first).to_be_visible()
    screenshot(page, "search")


def test_the_owners_pages_fit_a_phone(phone, live_server):
    alice = make_member("alice", Role.OWNER)
    examples.create(author=alice)
    runbook = Runbook.objects.get(slug="chat-is-down")
    runbook.body = runbook.body.replace("Write in the run's notes", "Note in the run")
    services.runbook_save(runbook, author=alice, note="shorter last step")
    sign_in(phone, live_server, "alice")
    for path in ["/runbooks/", "/runbooks/chat-is-down/edit/", "/runbooks/chat-is-down/history/", "/search/?q=nas"]:
        phone.goto(f"{live_server.url}{path}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path
    phone.goto(f"{live_server.url}/runbooks/chat-is-down/history/")
    screenshot(phone, "runbook-history-phone")
