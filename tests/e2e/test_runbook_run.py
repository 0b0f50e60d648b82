"""A caretaker follows a runbook on a phone: starts a run-through, ticks steps (without a
reload), reloads, signs out and in, and finishes; the owner then sees the run listed."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.runbooks import attachments
from apps.runbooks.models import Audience, Revision, Run, Runbook
from apps.status.models import Host
from tests.conftest import make_member
from tests.e2e.conftest import account_menu, screenshot
from tests.e2e.test_csp import watch
from tests.e2e.test_signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = """\
When the chat says **the assistant is offline** and the Studio's status is Down.

- [ ] Check that the Studio's light is on (the Mac Studio on the shelf in the study)
- [ ] On the Studio, open Terminal and restart Ollama:
  ```sh
  brew services restart ollama
  ```
- [ ] Ask the chat "Say hello" and wait for an answer

If it still does not answer after 5 minutes, call Alice.
"""


POINTER = "Mac login: password manager, vault Home, item Studio"


def studio_picture() -> bytes:
    """A drawing of the Studio's front with its status light: a real PNG, as a phone's photo would be."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 240), "#eef1f5")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((60, 50, 420, 200), radius=28, fill="#c9ced6", outline="#9aa2ad", width=4)
    draw.ellipse((380, 160, 396, 176), fill="#ffffff", outline="#7a828c")  # the light, bottom right
    draw.ellipse((330, 110, 470, 230), outline="#d02b2b", width=5)  # circled in red
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def caretaker_runbook(owner=None) -> Runbook:
    """With a picture attached and shown in the body when the owner is given."""
    runbook = Runbook.objects.create(
        slug="restart-ollama", title="Restart Ollama on the Studio", body=BODY, audience=Audience.CARETAKER, revision=1
    )
    body = BODY
    if owner is not None:
        picture = attachments.attachment_add(
            runbook=runbook, upload=SimpleUploadedFile("Studio light.png", studio_picture()), user=owner
        )
        body = body.replace("\n\n- [ ]", f"\n\n{attachments.snippet(picture)}\n\n- [ ]", 1)
    Revision.objects.create(runbook=runbook, number=1, title=runbook.title, body=body)
    studio = Host.objects.create(name="Studio", credentials_pointer=POINTER)
    runbook.hosts.add(studio)
    return runbook


def step(page, text: str):
    return page.get_by_role("checkbox", name=re.compile(re.escape(text)))


def test_a_caretaker_follows_a_runbook_on_a_phone_and_the_owner_sees_the_run(phone, page, live_server):
    now = timezone.now()
    make_member("charlie", Role.CARETAKER, access_from=now - timezone.timedelta(days=1))
    alice = make_member("alice", Role.OWNER)
    runbook = caretaker_runbook(owner=alice)
    start_url = f"{live_server.url}/runbooks/{runbook.slug}/run/"

    console = watch(phone)  # Content-Security-Policy violations, htmx swaps included
    sign_in(phone, live_server, "charlie")
    phone.goto(start_url)
    expect(phone.get_by_text(POINTER)).to_be_visible()
    phone.get_by_role("button", name="Start the run-through").click()
    expect(phone).to_have_url(re.compile(r"/runbooks/restart-ollama/runs/\d+/$"))
    run_url = phone.url

    # Ticking swaps the step in place (htmx): no reload, and the time appears.
    phone.evaluate("window.__noReload = true")
    light = step(phone, "Check that the Studio's light is on")
    expect(light).not_to_be_checked()
    light.click()
    expect(step(phone, "Check that the Studio's light is on")).to_be_checked()
    expect(phone.locator("#step-0 .done-at")).to_have_text(re.compile(r"Done at \d\d:\d\d"))
    step(phone, "open Terminal and restart Ollama").click()
    expect(phone.locator("#run-progress")).to_have_text("2 of 3 steps done")
    assert phone.evaluate("window.__noReload") is True
    phone.locator("#step-1 summary").click()
    phone.get_by_label("Note on this step").nth(1).fill("brew was not on the PATH; used /opt/homebrew/bin/brew.")
    phone.locator("#step-1").get_by_role("button", name="Save note").click()
    expect(phone.locator("#step-1 textarea")).to_have_value("brew was not on the PATH; used /opt/homebrew/bin/brew.")
    # The attached picture is shown, served to the caretaker; nothing is wider than the phone.
    picture = phone.get_by_role("img", name="Studio light")
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.naturalWidth") == 480
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.evaluate("window.__violations") + console == []
    screenshot(phone, "runbook-run-phone")

    phone.reload()
    expect(step(phone, "Check that the Studio's light is on")).to_be_checked()
    expect(step(phone, "open Terminal and restart Ollama")).to_be_checked()
    expect(step(phone, "Ask the chat")).not_to_be_checked()

    # Signed out and in again, the run is waiting.
    account_menu(phone).get_by_role("button", name="Sign out").click()
    expect(phone).to_have_url(re.compile(r"/accounts/login/"))
    sign_in(phone, live_server, "charlie")
    phone.goto(start_url)
    expect(phone.get_by_text("You have a run in progress")).to_be_visible()
    phone.get_by_role("link", name="continue").click()
    expect(phone).to_have_url(run_url)
    expect(step(phone, "open Terminal and restart Ollama")).to_be_checked()
    expect(phone.locator("#step-1 .done-at")).to_be_visible()

    phone.get_by_label("It worked").check()
    phone.get_by_label("A note for the owner").fill("Back after the restart.")
    phone.get_by_role("button", name="Finish the run").click()
    expect(phone.get_by_role("status").first).to_contain_text("The run is recorded: it worked.")
    expect(phone.locator(".alert.ok")).to_contain_text("It worked")
    assert Run.objects.get().outcome == Run.Outcome.WORKED

    # The owner sees it listed with its outcome.
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/runbooks/{runbook.slug}/runs/")
    row = page.locator("table.runs-table tbody tr").first
    expect(row).to_contain_text("charlie")
    expect(row.locator(".badge")).to_have_text("It worked")
    expect(row).to_contain_text("2 of 3")
    row.get_by_role("link").click()
    expect(page.get_by_text("brew was not on the PATH")).to_be_visible()
    expect(page.get_by_text("Back after the restart.")).to_be_visible()
    assert Runbook.objects.get().last_exercised is not None


def test_without_javascript_every_step_is_a_form(browser, live_server):
    now = timezone.now()
    make_member("charlie", Role.CARETAKER, access_from=now - timezone.timedelta(days=1))
    runbook = caretaker_runbook()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    try:
        sign_in(phone, live_server, "charlie")
        phone.goto(f"{live_server.url}/runbooks/{runbook.slug}/run/")
        phone.get_by_role("button", name="Start the run-through").click()
        step(phone, "Check that the Studio's light is on").click()  # a form post and a new page
        expect(phone).to_have_url(re.compile(r"/runs/\d+/#step-0$"))
        expect(step(phone, "Check that the Studio's light is on")).to_be_checked()
        expect(phone.locator("#run-progress")).to_have_text("1 of 3 steps done")
        phone.locator("#step-2 summary").click()
        phone.locator("#step-2 textarea").fill("It said hello.")
        phone.locator("#step-2").get_by_role("button", name="Save note").click()
        expect(phone.locator("#step-2 textarea")).to_have_value("It said hello.")
        phone.get_by_label("It partly worked").check()
        phone.get_by_role("button", name="Finish the run").click()
        expect(phone.locator(".alert.warn")).to_contain_text("It partly worked")
    finally:
        context.close()
    runbook.refresh_from_db()
    assert runbook.last_exercised is None  # only a run that worked counts
