"""A model-update trial in the browser: Alice starts a trial of a candidate against the
assistant's model today, the page follows it and reloads itself when the answers are in, she
votes blind on three prompts (A and B shuffled) and sees the names, speeds and win rate, then
rolls the assistant forward."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.gateway import services as gateway_services
from apps.gateway.models import Backend, Route, Target
from apps.maintenance import trials
from apps.maintenance.models import PromptSet, Trial
from tests.conftest import make_member
from tests.e2e.conftest import screenshot
from tests.e2e.test_signin import sign_in
from tests.fixtures.fake_llm import FakeLLM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STUDIO = (
    "Leek and potato soup: sweat the leeks in butter, add diced potatoes and stock, simmer for twenty "
    "minutes, blend, and finish with grated cheese."
)
MINI = "Make a leek and potato gratin. Slice both thinly, layer with cream and cheese, and bake for 45 minutes."
QUESTIONS = [
    "What can I cook tonight with leeks, potatoes and a bit of cheese?",
    "Explain to a ten-year-old why the sky is blue, in four sentences.",
    "Write a friendly two-line reminder that the bins go out on Thursday.",
]


def words(text: str) -> list[str]:
    return [w + " " for w in text.split(" ")[:-1]] + [text.split(" ")[-1]]


@pytest.fixture
def servers():
    studio = FakeLLM(models=("qwen2.5:14b",))
    studio.words, studio.first_delay, studio.token_delay = words(STUDIO), 0.25, 0.035
    mini = FakeLLM(models=("gemma3:12b",))
    mini.words, mini.first_delay, mini.token_delay = words(MINI), 0.12, 0.018
    yield studio.start(), mini.start()
    studio.stop()
    mini.stop()


def run(trial_id: int) -> None:
    """What the Celery task calls, on a thread of its own: Playwright's event loop runs on this one."""

    def work() -> None:
        try:
            trials.trial_run(trial_id)
        finally:
            connection.close()  # this thread's own, or the test database cannot be dropped

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)


def household(studio: FakeLLM, mini: FakeLLM) -> PromptSet:
    backend = gateway_services.backend_save(Backend(name="studio", base_url=studio.root, timeout=5))
    gateway_services.backend_save(
        Backend(name="studio-mlx", base_url=mini.root, timeout=5),
    )
    Backend.objects.filter(name="studio-mlx").update(model_names=["gemma3:12b", "qwen3:8b"])
    route = gateway_services.route_save(Route(alias="assistant", description="Everyday questions"))
    gateway_services.route_set_targets(route, [Target(backend=backend, model="qwen2.5:14b")])
    prompt_set = trials.prompt_set_save(PromptSet(alias="assistant", name="Everyday questions"))
    for text in QUESTIONS:
        trials.prompt_add(prompt_set=prompt_set, text=text)
    return prompt_set


def test_the_owner_votes_blind_through_a_trial_and_sees_the_reveal(page, live_server, servers):
    prompt_set = household(*servers)
    make_member("alice", Role.OWNER)
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/maintenance/trials/")
    page.get_by_role("link", name="Everyday questions").click()
    page.get_by_label("Candidate's backend").select_option("studio-mlx")
    page.get_by_label("Candidate model").fill("gemma3:12b")
    page.get_by_role("button", name="Start the trial").click()
    expect(page.locator("#progress")).to_contain_text("0 of 6 answers")

    # No worker in this test: the service the Celery task calls runs here; the page, polling
    # with htmx, reloads itself once the answers are in.
    run(Trial.objects.get().pk)
    expect(page.get_by_role("heading", name="Prompt 3")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("gemma3:12b")  # blind
    expect(page.locator(".trial-answer")).to_have_count(6)

    trial = Trial.objects.get()
    for number, prompt in enumerate(prompt_set.prompts.all(), start=1):
        section = page.locator(f"#prompt-{prompt.pk}")
        # Alice prefers the gratin, wherever it is: A or B, shuffled per prompt.
        gratin = "A" if trials.left_side(trial, prompt) == "candidate" else "B"
        expect(section.locator(f'.trial-answer[data-side="{gratin}"]')).to_contain_text("gratin")
        if number == 2:
            section.get_by_label("A tie").check()
            section.get_by_placeholder(re.compile("A note")).fill("Both fine for a child.")
        else:
            section.get_by_label(f"{gratin} is better").check()
        section.get_by_role("button", name="Vote").click()
        expect(page.locator(f"#prompt-{prompt.pk} .vote-cast")).to_be_visible()

    reveal = page.locator("#reveal")
    expect(reveal).to_contain_text("The candidate won 2 of 3")
    expect(reveal).to_contain_text("83 %")
    expect(reveal).to_contain_text("studio-mlx / gemma3:12b")
    expect(reveal).to_contain_text("tokens/s")
    expect(page.locator(".trial-answer h3").first).to_contain_text(re.compile("today|candidate"))
    page.locator("#reveal").scroll_into_view_if_needed()
    screenshot(page, "maintenance-trial")

    page.get_by_role("button", name="Roll forward to gemma3:12b").click()
    expect(page.locator(".messages")).to_contain_text("now asks studio-mlx / gemma3:12b first")
    targets = [(t.backend.name, t.model) for t in Route.objects.get().targets.order_by("position")]
    assert targets == [("studio-mlx", "gemma3:12b"), ("studio", "qwen2.5:14b")]
    expect(page.locator("#verdict")).to_contain_text("Roll forward to the candidate")
    expect(page.locator("#verdict").get_by_role("button", name="Undo")).to_be_visible()


def test_the_answers_stack_on_a_phone(phone, live_server, servers):
    prompt_set = household(*servers)
    alice = make_member("alice", Role.OWNER)
    trial = trials.trial_start(
        prompt_set=prompt_set, candidate_backend="studio-mlx", candidate_model="gemma3:12b", by=alice
    )
    run(trial.pk)
    sign_in(phone, live_server, "alice")
    phone.goto(f"{live_server.url}/maintenance/trials/{trial.pk}/")
    first = phone.locator(".trial-answer").nth(0).bounding_box()
    second = phone.locator(".trial-answer").nth(1).bounding_box()
    assert second["y"] >= first["y"] + first["height"]  # B below A, each the screen's width
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "maintenance-trial-phone")
