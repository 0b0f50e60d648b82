"""The owner prepares a handover with a caretaker and previews it; when the stay begins, the
caretaker signs in on a phone and lands on the handover, calls a contact from it and leaves a
note in its log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.handover import services
from apps.handover.models import Contact, Handover, HandoverNote
from apps.runbooks.models import Audience
from apps.status.models import Host, Kind, Service, State
from tests.conftest import make_member
from tests.e2e.conftest import screenshot
from tests.e2e.test_csp import watch
from tests.e2e.test_signin import sign_in
from tests.handover.conftest import make_runbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def household(transactional_db):
    make_member("alice", Role.OWNER)
    make_member("charlie", Role.CARETAKER, first_name="Charlie")
    nas = Host.objects.create(name="NAS")
    for name, label in (("nas", "NAS"), ("photos", "Photos"), ("backup", "Backups")):
        Service.objects.create(name=name, label=label, host=nas, kind=Kind.TCP, state=State.UP)
    for order, (name, role, phone, email) in enumerate(
        [
            ("Fibernet support", "ISP", "+49 30 555 0100", "help@fibernet.example"),
            ("Elektro Weber", "Electrician", "+49 30 555 0170", ""),
            ("Mia (next door)", "Neighbour with a key", "+49 171 555 0123", "mia@example.com"),
            ("Alex", "Owner", "+49 160 555 0199", "owner@example.com"),
        ]
    ):
        services.contact_save(Contact(name=name, role=role, phone=phone, email=email, order=order))
    return {
        "ups": make_runbook("ups", "The UPS is on battery"),
        "chat": make_runbook("chat-down", "The chat is down"),
        "router": make_runbook("router", "Router admin", audience=Audience.OWNER),
    }


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_the_owner_prepares_and_previews_and_the_caretaker_reads_it_on_a_phone(page, phone, live_server, household):
    starts = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    sign_in(page, live_server, "alice")
    page.get_by_role("link", name="Settings").click()
    page.locator("#main").get_by_role("link", name="Handovers", exact=True).click()
    expect(page.get_by_text("No handover yet.")).to_be_visible()
    page.get_by_role("link", name="Prepare a handover").first.click()
    page.get_by_label("Title").fill("Christmas 2026")
    page.get_by_label("Starts").fill(local(starts))
    page.get_by_label("Ends").fill(local(starts + timedelta(days=14)))
    page.get_by_label("Charlie (charlie)").check()
    page.get_by_label("Welcome note").fill(
        "Thank you for looking after the house, **Charlie**!\n\nMost days there is nothing to do: "
        "the line under *How things are now* says whether everything works."
    )
    page.get_by_label("What to check during the stay").fill(
        "- Look at the status board on Sundays.\n- The NAS in the closet: lights on, no beeping."
    )
    page.get_by_label("The chat is down").fill("2")
    page.get_by_label("The UPS is on battery").fill("1")
    page.get_by_label("If this happens").first.fill("The power goes out")
    page.get_by_label("Do that").first.fill("The UPS keeps the NAS up for 20 minutes. Nothing to do.")
    page.get_by_label("Runbook", exact=True).first.select_option(label="The UPS is on battery")
    page.locator("h1").click()  # nothing focused in the picture
    screenshot(page, "handover-settings")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Saved “Christmas 2026”.")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("Charlie|charlie"))).to_be_visible()
    page.get_by_role("link", name="Preview").click()
    expect(page.locator("#preview-note")).to_contain_text("exactly as a caretaker will see it")
    expect(page.get_by_role("heading", name="Christmas 2026")).to_be_visible()
    expect(page.locator("#welcome strong")).to_have_text("Charlie")
    runbooks = page.locator("#runbooks li")
    expect(runbooks).to_have_text(["The UPS is on battery", "The chat is down"])
    expect(page.get_by_role("link", name="Call +49 30 555 0100")).to_have_attribute("href", "tel:+49305550100")

    # The day comes: the stay begins a minute ago (the caretaker's window moves with it).
    handover = Handover.objects.get()
    handover.starts = timezone.now() - timedelta(minutes=1)
    services.handover_save(handover, ["starts"])

    violations = watch(phone)
    sign_in(phone, live_server, "charlie")
    expect(phone).to_have_url(f"{live_server.url}/handover/")  # the caretaker's home page is the handover
    expect(phone.get_by_role("heading", name="Christmas 2026")).to_be_visible()
    expect(phone.locator("#status [role=status]")).to_have_text("All 3 services work.")
    call = phone.get_by_role("link", name="Call +49 171 555 0123")
    expect(call).to_have_attribute("href", "tel:+491715550123")
    expect(phone.locator("#runbooks li")).to_have_text(["The UPS is on battery", "The chat is down"])
    expect(phone.get_by_text("Router admin")).to_have_count(0)
    expect(phone.locator("#if-then")).to_contain_text("The power goes out")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_label("Add a note").fill("Watered the plants; the NAS is quiet.")
    phone.get_by_role("button", name="Add to the log").click()
    expect(phone.locator("#log")).to_contain_text("Watered the plants; the NAS is quiet.")
    assert HandoverNote.objects.get().author.username == "charlie"
    phone.goto(f"{live_server.url}/handover/")
    assert violations == [] and phone.evaluate("window.__violations") == []  # the page keeps the CSP
    screenshot(phone, "handover-phone")


def test_a_caretaker_follows_a_key_runbook_from_the_handover_and_the_owner_sees_the_run_in_its_log(
    page, phone, live_server
):
    """The issue's whole journey, on a phone: sign in, the handover, its key runbook, a
    run-through with ticked steps; then the owner reads the run in the handover's log."""
    from apps.runbooks import services as runbook_services
    from apps.runbooks.models import Runbook

    now = timezone.now()
    make_member("alice", Role.OWNER)
    charlie = make_member("charlie", Role.CARETAKER, first_name="Charlie")
    runbook = runbook_services.runbook_save(
        Runbook(
            slug="ups-on-battery",
            title="The UPS is on battery",
            audience=Audience.CARETAKER,
            body="- [ ] Look at the UPS's display\n- [ ] Shut the NAS down from DSM\n- [ ] Tell Alice\n",
        )
    )
    services.handover_save(
        Handover(title="Christmas", starts=now - timedelta(hours=1), ends=now + timedelta(days=3)),
        caretakers=[charlie],
        runbooks=[runbook],
        if_then=[],
    )

    sign_in(phone, live_server, "charlie")
    expect(phone).to_have_url(re.compile(r"/handover/$"))  # a caretaker's home during the stay
    phone.get_by_role("link", name="The UPS is on battery").first.click()
    expect(phone).to_have_url(re.compile(r"/runbooks/ups-on-battery/$"))
    phone.get_by_role("button", name="Run through").click()
    expect(phone).to_have_url(re.compile(r"/runbooks/ups-on-battery/runs/\d+/$"))
    phone.get_by_role("checkbox", name=re.compile("Look at the UPS")).click()
    expect(phone.get_by_role("checkbox", name=re.compile("Look at the UPS"))).to_be_checked()
    phone.get_by_role("checkbox", name=re.compile("Shut the NAS down")).click()
    expect(phone.locator("#run-progress")).to_have_text("2 of 3 steps done")
    phone.get_by_label("It partly worked").check()
    phone.get_by_label("A note for the owner").fill("The NAS was already off when I got there.")
    phone.get_by_role("button", name="Finish the run").click()
    expect(phone.get_by_role("status").first).to_contain_text("The run is recorded")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/handover/")
    log = page.locator("#log")
    expect(log).to_contain_text("The UPS is on battery")
    expect(log).to_contain_text("The NAS was already off when I got there.")
