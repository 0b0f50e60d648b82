"""The chat in the browser, served by uvicorn as the README deploys it, against a fake
backend with a slow token cadence: words appear before the backend has sent the last one;
stop; regenerate; reload keeps the history; the fallback notice; the offline message."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.chat.models import Message
from apps.status.models import Host, Kind, Service, State
from tests.conftest import make_member
from tests.e2e.conftest import screenshot
from tests.e2e.test_signin import sign_in
from tests.fixtures.fake_llm import FakeLLM
from tests.fixtures.ports import free_port
from tests.gateway.conftest import _fresh_snapshot, make_backend, make_route  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


ANSWER = (
    "Red foxes are **small hunters** that live almost everywhere:\n\n- in forests and fields,\n"
    "- in towns, at night.\n\nTo count the photos you took of them:\n\n"
    "```sh\nfind /volume1/photos -name '*fox*' | wc -l\n```\n"
)
WORDS = re.findall(r"\S+\s*", ANSWER)  # one token per word, as models stream them


@pytest.fixture
def studio():
    server = FakeLLM().start()
    server.words = list(WORDS)
    server.token_delay = 0.12  # 36 words: the last one leaves the backend 4 s after the first
    yield server
    server.stop()


@pytest.fixture
def bob(transactional_db):
    return make_member("bob", Role.FAMILY)


def ask(page, text: str) -> None:
    box = page.get_by_label("Your question")
    box.fill(text)
    box.press("Enter")


def test_the_answer_streams_in_and_survives_a_reload(page, gateway_url, bob, studio):
    make_route("assistant", (make_backend("studio", studio), "llama3.1:8b"))
    sign_in(page, SimpleNamespace(url=gateway_url), "bob")
    page.goto(f"{gateway_url}/chat/")
    ask(page, "Tell me about foxes")
    streaming = page.locator(".msg-assistant .streaming")
    expect(streaming).to_contain_text("Red foxes", timeout=5000)
    assert studio.endings == []  # the backend is still writing: nothing was buffered on the way
    expect(page.locator(".msg-assistant")).not_to_have_class("msg msg-assistant msg-streaming", timeout=10_000)
    expect(page.locator(".msg-assistant .msg-body strong")).to_have_text("small hunters")  # Markdown, rendered
    expect(page.locator(".msg-assistant .highlight pre")).to_contain_text("find /volume1/photos")
    expect(page).to_have_url(f"{gateway_url}/chat/{Message.objects.first().conversation_id}/")
    page.reload()
    expect(page.locator(".msg-user")).to_contain_text("Tell me about foxes")
    expect(page.locator(".msg-assistant .msg-body")).to_contain_text("Red foxes are small hunters")
    screenshot(page, "chat-conversation")


def test_stop_then_regenerate(page, gateway_url, bob, studio):
    make_route("assistant", (make_backend("studio", studio), "llama3.1:8b"))
    sign_in(page, SimpleNamespace(url=gateway_url), "bob")
    page.goto(f"{gateway_url}/chat/")
    ask(page, "Count slowly")
    expect(page.locator(".msg-assistant .streaming")).to_contain_text("Red foxes", timeout=5000)
    page.get_by_role("button", name="Stop").click()
    expect(page.locator(".msg-assistant .msg-state")).to_have_text("Stopped: this is what had arrived.")
    deadline = time.monotonic() + 5
    while studio.endings != ["client left"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert studio.endings == ["client left"]  # the backend stopped working at once
    page.reload()
    expect(page.locator(".msg-assistant.msg-stopped")).to_be_visible()
    kept = Message.objects.get(role="assistant")
    assert kept.state == "stopped" and kept.content.startswith("Red foxes") and "wc -l" not in kept.content
    studio.token_delay = 0.01
    page.get_by_role("button", name="Regenerate").click()
    expect(page.locator(".msg-assistant .highlight pre")).to_contain_text("wc -l", timeout=10_000)
    page.reload()
    expect(page.locator(".msg-assistant")).to_have_count(1)


def test_the_fallback_notice_and_the_offline_message(page, phone, gateway_url, bob):
    macbook = FakeLLM(models=("llama3.2:3b",)).start()
    macbook.words = list(WORDS)
    try:
        since = timezone.now() - timedelta(minutes=5)
        studio_host, laptop = Host.objects.create(name="Studio"), Host.objects.create(name="MacBook")
        watch = Service.objects.create(name="studio-ollama", label="Chat (Studio)", kind=Kind.OLLAMA, host=studio_host)
        studio = make_backend("studio", url=f"http://127.0.0.1:{free_port()}/v1", service=watch)
        fallback = make_backend(
            "macbook", macbook, service=Service.objects.create(name="mb", label="MB", kind=Kind.OLLAMA, host=laptop)
        )
        make_route("assistant", (studio, "llama3.1:8b"), (fallback, "llama3.2:3b"))
        sign_in(page, SimpleNamespace(url=gateway_url), "bob")
        page.goto(f"{gateway_url}/")
        ask(page, "Hello from the dashboard")
        expect(page.locator(".msg-notice")).to_have_text(
            "Answered by llama3.2:3b on the MacBook: the Studio is not answering."
        )
        expect(page.locator(".msg-assistant .msg-body")).to_contain_text("Red foxes are small hunters")
        screenshot(page, "chat-dashboard")

        Service.objects.filter(pk=watch.pk).update(state=State.DOWN, state_since=since)
        macbook.stop()
        from apps.gateway import snapshot

        snapshot.forget_states()
        page.goto(f"{gateway_url}/chat/")
        ask(page, "Are you there?")
        clock = timezone.localtime(since).strftime("%H:%M")
        error = page.locator("[data-chat-error]")
        expect(error).to_contain_text(f"The assistant is offline: the Studio has not answered since {clock}.")
        expect(error.get_by_role("link", name="See the status board")).to_be_visible()
        expect(page.get_by_label("Your question")).to_have_value("Are you there?")
    finally:
        macbook.stop()

    sign_in(phone, SimpleNamespace(url=gateway_url), "bob")
    phone.goto(f"{gateway_url}/chat/{Message.objects.first().conversation_id}/")
    expect(phone.locator(".msg-user").first).to_be_visible()
    screenshot(phone, "chat-phone")


def test_the_typing_box_is_in_the_households_font_and_yaml_boxes_stay_monospace(page, gateway_url, bob, studio):
    make_route("assistant", (make_backend("studio", studio), "llama3.1:8b"))
    sign_in(page, SimpleNamespace(url=gateway_url), "bob")
    page.goto(f"{gateway_url}/chat/")
    box = page.get_by_label("Your question")
    body = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert box.evaluate("el => getComputedStyle(el).fontFamily") == body
    assert "monospace" not in body
    # A box for code says so (spellcheck="false") and keeps a fixed-width font.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<textarea id=yaml spellcheck=false></textarea>')")
    assert "monospace" in page.locator("#yaml").evaluate("el => getComputedStyle(el).fontFamily")


def test_on_a_touch_screen_enter_makes_a_new_line_and_nothing_else_starts_while_an_answer_streams(
    phone, gateway_url, bob, studio
):
    make_route("assistant", (make_backend("studio", studio), "llama3.1:8b"))
    sign_in(phone, SimpleNamespace(url=gateway_url), "bob")
    phone.goto(f"{gateway_url}/chat/")
    box = phone.get_by_label("Your question")
    box.click()
    box.type("First line")
    box.press("Enter")
    box.type("second line")
    assert box.input_value() == "First line\nsecond line"
    assert phone.locator("article.msg").count() == 0  # Enter did not send
    send = phone.locator("[data-chat-send]")
    send.click()
    expect(phone.locator(".msg-assistant .streaming")).to_contain_text("Red foxes", timeout=5000)
    # While it streams: Send is busy and disabled, and so are Regenerate, Edit and the picker.
    expect(send).to_be_disabled()
    expect(send).to_have_text("Answering…")
    expect(send).to_have_attribute("aria-busy", "true")
    screenshot(phone, "chat-streaming-phone")
    expect(phone.locator(".msg-assistant")).not_to_have_class(re.compile("msg-streaming"), timeout=10_000)
    expect(send).to_be_enabled()
    expect(send).to_have_text("Send")
    phone.reload()
    regenerate = phone.get_by_role("button", name="Regenerate")
    studio.token_delay = 0.12
    regenerate.click()
    expect(phone.locator(".msg-assistant .streaming")).to_contain_text("Red foxes", timeout=5000)
    expect(regenerate).to_be_disabled()
    expect(send).to_be_disabled()


def test_a_huge_paste_says_how_long_it_is_instead_of_failing(page, gateway_url, bob, studio):
    make_route("assistant", (make_backend("studio", studio), "llama3.1:8b"))
    sign_in(page, SimpleNamespace(url=gateway_url), "bob")
    page.goto(f"{gateway_url}/chat/")
    box = page.get_by_label("Your question")
    count = page.locator("[data-chat-count]")
    box.fill("x" * 12_000)
    expect(count).to_be_hidden()  # far from the limit: no counter
    box.fill("x" * 14_000)
    expect(count).to_have_text("14,000 of 16,000 characters")
    box.fill("x" * 3_000_000)  # 3 MB, as pasted
    expect(count).to_have_text("That is 3,000,000 characters; a question can be at most 16,000.")
    expect(page.locator("[data-chat-send]")).to_be_disabled()
    box.press("Enter")
    assert page.locator("article.msg").count() == 0 and not Message.objects.exists()
    screenshot(page, "chat-too-long")


def test_the_home_pages_conversation_goes_on_after_a_reload(page, gateway_url, bob, studio):
    make_route("assistant", (make_backend("studio", studio), "llama3.1:8b"))
    studio.token_delay = 0.01
    sign_in(page, SimpleNamespace(url=gateway_url), "bob")
    expect(page).to_have_url(f"{gateway_url}/")
    ask(page, "Tell me about foxes")
    expect(page.locator("#chat-box .msg-assistant .highlight pre")).to_contain_text("wc -l", timeout=10_000)
    page.reload()
    box = page.locator("#chat-box")
    expect(box.locator(".msg-user")).to_contain_text("Tell me about foxes")
    expect(box.locator(".msg-assistant .msg-body strong")).to_have_text("small hunters")
    chat = Message.objects.first().conversation
    expect(box.locator("[data-chat-whole]")).to_have_attribute("href", f"/chat/{chat.pk}/")
    ask(page, "And owls?")  # the same conversation, not a new one
    expect(box.locator(".msg-assistant")).to_have_count(2, timeout=10_000)
    expect(box.locator(".msg-assistant").last).not_to_have_class(re.compile("msg-streaming"), timeout=10_000)
    assert set(Message.objects.values_list("conversation", flat=True)) == {chat.pk}
    screenshot(page, "dashboard-chat-continued")
    box.get_by_role("button", name="New chat").click()
    expect(page).to_have_url(f"{gateway_url}/")
    expect(page.locator("#chat-box article.msg")).to_have_count(0)
    expect(page.locator("#chat-box [data-chat-whole]")).to_have_count(0)


def test_the_picker_marks_a_model_whose_computer_is_down_and_fits_a_phone(phone, gateway_url, bob, studio):
    macbook_check = Service.objects.create(name="macbook", label="MacBook", kind=Kind.OLLAMA, state=State.DOWN)
    studio_backend = make_backend("studio", studio)
    macbook = make_backend("macbook", url="http://127.0.0.1:9/v1", service=macbook_check)
    make_route("assistant", (studio_backend, "llama3.1:8b"))
    make_route("a-model-with-a-long-name-for-the-picker", (macbook, "llama3.2:3b"))
    sign_in(phone, SimpleNamespace(url=gateway_url), "bob")
    phone.goto(f"{gateway_url}/chat/")
    picker = phone.get_by_label("Model")
    options = picker.locator("option").all_inner_texts()
    assert "a-model-with-a-long-name-for-the-picker (offline: its computer is down)" in options
    assert any(o.startswith("assistant — ") for o in options)
    expect(picker).to_have_value("assistant")  # a new chat starts with a model that answers
    box = picker.bounding_box()
    assert box["x"] + box["width"] <= 390
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "chat-picker-phone")


def test_versions_after_regenerate_and_edit(page, phone, gateway_url, bob, studio):
    """Regenerate keeps the earlier answer; editing the first question keeps everything after it;
    both are paged through with ‹ and ›, and nothing can be paged while an answer streams."""
    make_route("assistant", (make_backend("studio", studio), "llama3.1:8b"))
    studio.token_delay = 0.01
    sign_in(page, SimpleNamespace(url=gateway_url), "bob")
    page.goto(f"{gateway_url}/chat/")
    ask(page, "Tell me about foxes")
    answers = page.locator(".msg-assistant")
    expect(answers.last).not_to_have_class(re.compile("msg-streaming"), timeout=10_000)
    ask(page, "And badgers?")
    expect(answers).to_have_count(2)
    expect(answers.last).not_to_have_class(re.compile("msg-streaming"), timeout=10_000)

    studio.words = ["Badgers ", "dig ", "setts."]
    page.get_by_role("button", name="Regenerate").click()
    expect(answers.last.locator(".msg-body")).to_have_text("Badgers dig setts.", timeout=10_000)
    expect(answers.last.locator(".versions-count")).to_have_text("2 / 2")  # drawn without a reload
    answers.last.get_by_role("button", name="Earlier version").click()
    expect(answers.last.locator(".msg-body")).to_contain_text("Red foxes are small hunters")
    expect(answers.last.locator(".versions-count")).to_have_text("1 / 2")
    answers.last.get_by_role("button", name="Later version").click()
    expect(answers.last.locator(".msg-body")).to_have_text("Badgers dig setts.")

    # Edit the first question: what followed it goes from the page, and stays a version.
    studio.words = ["Foxes ", "are ", "canids."]
    studio.token_delay = 0.3
    first = page.locator(".msg-user").first
    first.get_by_text("Edit", exact=True).click()
    first.get_by_label("Edited question").fill("What family are foxes in?")
    first.get_by_role("button", name="Ask again").click()
    expect(page.locator(".msg-assistant .streaming")).to_contain_text("Foxes", timeout=5000)
    expect(page.locator(".msg-user")).to_have_count(1)
    expect(page.locator(".msg-user .versions-count")).to_have_text("2 / 2")
    expect(page.locator(".msg-user").get_by_role("button", name="Earlier version")).to_be_disabled()
    expect(page.locator(".msg-assistant .msg-body")).to_have_text("Foxes are canids.", timeout=10_000)
    screenshot(page, "chat-versions")
    page.locator(".msg-user").get_by_role("button", name="Earlier version").click()
    expect(page.locator(".msg-user")).to_have_count(2)
    expect(page.locator(".msg-user").first.locator(".msg-body")).to_have_text("Tell me about foxes")
    expect(page.locator(".msg-assistant").last.locator(".msg-body")).to_have_text("Badgers dig setts.")

    # On a phone the same thread fits the screen, ‹ and › a finger's width apart.
    sign_in(phone, SimpleNamespace(url=gateway_url), "bob")
    phone.goto(page.url.split("#")[0])
    expect(phone.locator(".msg-user .versions-count").first).to_have_text("1 / 2")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    box = phone.locator(".msg-user").first.get_by_role("button", name="Later version").bounding_box()
    assert box and box["width"] >= 24 and box["height"] >= 24
