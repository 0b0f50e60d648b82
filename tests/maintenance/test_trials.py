"""Model-update trials, in process: the trial service against two fake backends (the same
function the Celery task calls; tests/maintenance/test_trials_worker.py runs it in a real
worker), blind votes through the pages, the reveal, roll forward and roll back changing the
route, the gateway then answering from the candidate, and undo."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.gateway.models import AuditEntry, Endpoint, Route
from apps.maintenance import trials
from apps.maintenance.models import Prompt, PromptSet, RouteChange, Trial, TrialAnswer, Vote
from tests.conftest import signed_in
from tests.fixtures.fake_llm import FakeLLM
from tests.fixtures.ports import free_port
from tests.gateway.conftest import (  # noqa: F401 (fixtures)
    _fresh_snapshot,
    api,
    gateway_url,
    key_for,
    make_backend,
    make_route,
)

pytestmark = pytest.mark.django_db(transaction=True)

STUDIO_WORDS = ["Leeks ", "and ", "potatoes ", "make ", "a ", "fine ", "soup."]
MINI_WORDS = ["Soup. ", "Leek ", "soup."]
QUESTIONS = ["What can I cook with leeks?", "Why is the sky blue?", "Name a good board game for four."]


@pytest.fixture
def studio():
    server = FakeLLM(models=("llama3.1:8b",))
    server.words, server.token_delay = list(STUDIO_WORDS), 0.02
    yield server.start()
    server.stop()


@pytest.fixture
def mini():
    server = FakeLLM(models=("qwen3:4b",))
    server.words, server.token_delay = list(MINI_WORDS), 0.002
    yield server.start()
    server.stop()


def household(studio: FakeLLM, mini: FakeLLM) -> PromptSet:
    route = make_route("assistant", (make_backend("studio", studio), "llama3.1:8b"))
    make_backend("mini", mini)
    prompt_set = trials.prompt_set_save(PromptSet(alias=route.alias, name="Everyday questions"))
    for text in QUESTIONS:
        trials.prompt_add(prompt_set=prompt_set, text=text)
    return prompt_set


def targets(alias: str = "assistant") -> list[tuple[str, str]]:
    return [(t.backend.name, t.model) for t in Route.objects.get(alias=alias).targets.order_by("position")]


def ran(prompt_set: PromptSet, alice, backend: str = "mini", model: str = "qwen3:4b") -> Trial:
    trial = trials.trial_start(prompt_set=prompt_set, candidate_backend=backend, candidate_model=model, by=alice)
    trials.trial_run(trial.pk)  # what the Celery task calls
    trial.refresh_from_db()
    return trial


def vote_all(client, trial: Trial, choice_for_candidate: str = "candidate") -> None:
    """Vote through the page, choosing the letter that holds the wanted side for each prompt."""
    for prompt in trial.prompt_set.prompts.all():
        a_side = trials.left_side(trial, prompt)
        letter = "a" if a_side == choice_for_candidate else "b"
        response = client.post(
            reverse("maintenance:trial_vote", args=[trial.pk]), {"prompt": prompt.pk, "choice": letter}
        )
        assert response.status_code == 302


def test_the_trial_stores_each_models_answers_with_their_measures(alice, studio, mini):
    trial = ran(household(studio, mini), alice)
    assert trial.status == Trial.Status.VOTING and trial.progress == 6
    answers = TrialAnswer.objects.filter(trial=trial)
    current = answers.filter(side="current")
    candidate = answers.filter(side="candidate")
    assert {a.text for a in current} == {"".join(STUDIO_WORDS)}
    assert {a.text for a in candidate} == {"".join(MINI_WORDS)}
    for answer in answers:
        assert not answer.error and answer.first_token_ms is not None and answer.tokens_per_second > 0
    assert {a.tokens for a in current} == {len(STUDIO_WORDS)} and {a.tokens for a in candidate} == {len(MINI_WORDS)}
    # One model after the other: every answer of today's model before any of the candidate's.
    assert max(a.pk for a in current) < min(a.pk for a in candidate)
    assert min(a.tokens_per_second for a in candidate) > max(a.tokens_per_second for a in current)
    body = studio.requests[0]["body"]
    assert body["temperature"] == 0 and body["seed"] == mini.requests[0]["body"]["seed"]
    assert body["stream"] is True and body["max_tokens"] == 1024
    assert [r["body"]["messages"][0]["content"] for r in mini.requests] == QUESTIONS


def test_a_candidate_that_is_down_fails_its_prompts_in_words_not_the_trial(alice, studio, mini):
    prompt_set = household(studio, mini)
    make_backend("attic", url=f"http://127.0.0.1:{free_port()}/v1")
    trial = ran(prompt_set, alice, backend="attic", model="llama3.2:3b")
    assert trial.status == Trial.Status.VOTING
    failed = TrialAnswer.objects.filter(trial=trial, side="candidate")
    assert failed.count() == 3
    assert all(a.error.startswith("attic refused the connection") and not a.text for a in failed)
    assert all(not a.error for a in TrialAnswer.objects.filter(trial=trial, side="current"))
    # Each request is in the gateway's audit log, as metadata, the failed ones with their reason.
    audited = AuditEntry.objects.filter(endpoint=Endpoint.CHAT, member=alice, alias="assistant")
    assert audited.filter(backend="studio", status=200).count() == 3
    assert audited.filter(backend="attic", status=502, error__contains="refused the connection").count() == 3


def test_the_page_is_blind_until_the_last_vote_then_reveals_names_and_win_rate(client, alice, studio, mini):
    trial = ran(household(studio, mini), alice)
    signed_in(client, alice)
    page = client.get(reverse("maintenance:trial", args=[trial.pk])).content.decode()
    assert "qwen3:4b" not in page and "llama3.1:8b" not in page
    assert page.count('name="choice" value="bad"') == 3
    vote_all(client, trial)
    page = client.get(reverse("maintenance:trial", args=[trial.pk])).content.decode()
    assert 'id="reveal"' in page and "qwen3:4b" in page and "llama3.1:8b" in page
    assert "a win rate of <strong>100 %</strong>" in page
    assert "tokens/s" in page
    assert Vote.objects.filter(trial=trial).count() == 3


def test_a_vote_records_which_model_was_a(alice, studio, mini):
    trial = ran(household(studio, mini), alice)
    prompts = list(trial.prompt_set.prompts.all())
    sides = {trials.left_side(trial, p) for p in prompts for _ in range(2)}
    assert sides <= {"current", "candidate"}
    vote = trials.vote_cast(trial=trial, prompt=prompts[0], choice="bad", note="both rambled", by=alice)
    assert vote.left_side == trials.left_side(trial, prompts[0])
    result = trials.outcome(trial)
    assert result.both_bad == 1 and not result.revealed


def test_roll_forward_puts_the_candidate_first_and_the_gateway_answers_from_it(
    client,
    alice,
    studio,
    mini,
    gateway_url,  # noqa: F811 (the fixtures imported above)
    key_for,  # noqa: F811
):
    trial = ran(household(studio, mini), alice)
    signed_in(client, alice)
    vote_all(client, trial)
    response = client.post(reverse("maintenance:trial_decide", args=[trial.pk]), {"verdict": "forward"})
    assert response.status_code == 302
    trial.refresh_from_db()
    assert trial.verdict == "forward" and trial.status == Trial.Status.DONE
    assert targets() == [("mini", "qwen3:4b"), ("studio", "llama3.1:8b")]
    change = RouteChange.objects.get()
    assert change.trial == trial and [t["model"] for t in change.before] == ["llama3.1:8b"]
    assert AuditEntry.objects.filter(endpoint=Endpoint.SETTINGS, alias="assistant").exists()
    asked = len(mini.requests)
    answer = api(gateway_url, key_for(alice)).chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": "hi"}]
    )
    assert answer.choices[0].message.content == " ".join(MINI_WORDS) and len(mini.requests) == asked + 1

    # Undo: the route is as it was, and the gateway asks the Studio again.
    client.post(reverse("maintenance:route_change_undo", args=[change.pk]))
    assert targets() == [("studio", "llama3.1:8b")]
    change.refresh_from_db()
    assert change.undone is not None
    answer = api(gateway_url, key_for(alice)).chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": "hi"}]
    )
    assert answer.choices[0].message.content == " ".join(STUDIO_WORDS)


def test_roll_back_restores_the_route_from_before_the_last_roll_forward(client, alice, studio, mini):
    prompt_set = household(studio, mini)
    first = ran(prompt_set, alice)
    signed_in(client, alice)
    vote_all(client, first)
    client.post(reverse("maintenance:trial_decide", args=[first.pk]), {"verdict": "forward"})
    # A month later the candidate is today's model; the owner tries the old one again and goes back.
    second = ran(prompt_set, alice, backend="studio", model="llama3.1:8b")
    assert (second.current_backend, second.current_model) == ("mini", "qwen3:4b")
    vote_all(client, second)
    page = client.get(reverse("maintenance:trial", args=[second.pk])).content.decode()
    assert 'value="back"' in page
    client.post(reverse("maintenance:trial_decide", args=[second.pk]), {"verdict": "back"})
    assert targets() == [("studio", "llama3.1:8b")]
    back = RouteChange.objects.get(trial=second)
    assert RouteChange.objects.get(trial=first).undone is not None
    # The roll back is undone too: the candidate is first again.
    trials.route_change_undo(change=back, by=alice)
    assert targets() == [("mini", "qwen3:4b"), ("studio", "llama3.1:8b")]


def test_stay_leaves_the_route_and_the_verdict_waits_for_every_vote(client, alice, studio, mini):
    trial = ran(household(studio, mini), alice)
    with pytest.raises(ValidationError, match="Vote on every prompt"):
        trials.trial_decide(trial=trial, verdict="stay", by=alice)
    signed_in(client, alice)
    vote_all(client, trial, choice_for_candidate="current")
    trials.trial_decide(trial=trial, verdict="stay", by=alice)
    assert targets() == [("studio", "llama3.1:8b")] and not RouteChange.objects.exists()
    again = ran(trial.prompt_set, alice)
    vote_all(client, again)
    with pytest.raises(ValidationError, match="no earlier route"):
        trials.trial_decide(trial=again, verdict="back", by=alice)


def test_an_undo_after_the_route_was_edited_is_refused_in_words(client, alice, studio, mini):
    trial = ran(household(studio, mini), alice)
    signed_in(client, alice)
    vote_all(client, trial)
    trials.trial_decide(trial=trial, verdict="forward", by=alice)
    make_route("assistant-2", (make_backend("spare", mini), "qwen3:4b"))
    from apps.gateway import services

    route = Route.objects.get(alias="assistant")
    services.route_set_targets(route, [route.targets.get(model="llama3.1:8b")])
    with pytest.raises(ValidationError, match="was edited since"):
        trials.route_change_undo(change=RouteChange.objects.get(), by=alice)


def test_the_owner_picks_only_their_own_questions(client, alice, bob, studio, mini):
    from apps.chat.models import Conversation, Message

    prompt_set = household(studio, mini)
    mine = Conversation.objects.create(owner=alice, title="Dinner")
    theirs = Conversation.objects.create(owner=bob, title="Homework")
    own = Message.objects.create(conversation=mine, role="user", content="What goes with leeks?")
    other = Message.objects.create(conversation=theirs, role="user", content="Bob's secret homework question")
    signed_in(client, alice)
    page = client.get(reverse("maintenance:prompt_set", args=[prompt_set.pk])).content.decode()
    assert "What goes with leeks?" in page and "secret homework" not in page
    client.post(reverse("maintenance:prompt_pick", args=[prompt_set.pk]), {"message": own.pk})
    client.post(reverse("maintenance:prompt_pick", args=[prompt_set.pk]), {"message": other.pk})
    texts = list(prompt_set.prompts.values_list("text", flat=True))
    assert "What goes with leeks?" in texts and "Bob's secret homework question" not in texts


def test_a_prompt_set_is_bounded_and_a_trial_needs_a_route(alice, studio, mini):
    prompt_set = household(studio, mini)
    for n in range(trials.PROMPTS_PER_SET - len(QUESTIONS)):
        trials.prompt_add(prompt_set=prompt_set, text=f"Question {n}")
    with pytest.raises(ValidationError, match="at most 30 prompts"):
        trials.prompt_add(prompt_set=prompt_set, text="One too many")
    lonely = trials.prompt_set_save(PromptSet(alias="nowhere", name="Orphans"))
    Prompt.objects.create(prompt_set=lonely, text="Hello?")
    with pytest.raises(ValidationError, match="no route"):
        trials.trial_start(prompt_set=lonely, candidate_backend="mini", candidate_model="qwen3:4b", by=alice)
    with pytest.raises(ValidationError) as same:
        trials.trial_start(prompt_set=prompt_set, candidate_backend="studio", candidate_model="llama3.1:8b", by=alice)
    assert "uses today" in str(same.value)


def test_the_verdict_is_recorded_as_the_monthly_model_update(client, alice, studio, mini):
    from datetime import date

    from apps.maintenance import services
    from apps.maintenance.models import Cadence, Category, MaintenanceTask, TaskKind

    task = services.task_save(
        MaintenanceTask(
            title="Monthly model update",
            kind=TaskKind.MODEL_UPDATE,
            category=Category.UPDATE,
            cadence=Cadence.MONTHLY,
            starts=date(2026, 1, 5),
        )
    )
    due_before = task.next_due
    trial = ran(household(studio, mini), alice)
    signed_in(client, alice)
    vote_all(client, trial)
    page = client.get(reverse("maintenance:trial", args=[trial.pk])).content.decode()
    assert "recorded as a completion of “Monthly model update”" in page
    client.post(reverse("maintenance:trial_decide", args=[trial.pk]), {"verdict": "stay", "notes": "Too terse."})
    trial.refresh_from_db()
    completion = trial.completion
    assert completion is not None and completion.task == task and completion.by == alice
    assert "Verdict: Stay with today's model." in completion.notes and "Too terse." in completion.notes
    assert "win rate 100 %" in completion.notes
    task.refresh_from_db()
    assert task.next_due != due_before


def test_votes_are_final_once_the_names_are_shown(client, alice, studio, mini):
    trial = ran(household(studio, mini), alice)
    signed_in(client, alice)
    vote_all(client, trial)
    with pytest.raises(ValidationError, match="votes are final"):
        trials.vote_cast(trial=trial, prompt=trial.prompt_set.prompts.first(), choice="bad", by=alice)
    page = client.get(reverse("maintenance:trial", args=[trial.pk])).content.decode()
    assert 'name="choice"' not in page


def test_the_model_update_task_links_to_the_trials_for_the_owner_only(client, alice, bob):
    from datetime import date

    from apps.maintenance import services
    from apps.maintenance.models import MaintenanceTask, TaskKind

    task = services.task_save(
        MaintenanceTask(title="Monthly model update", kind=TaskKind.MODEL_UPDATE, starts=date(2026, 1, 5))
    )
    link = f'href="{reverse("maintenance:trials")}"'
    assert link in signed_in(client, alice).get(reverse("maintenance:task", args=[task.pk])).content.decode()
    assert link not in signed_in(client, bob).get(reverse("maintenance:task", args=[task.pk])).content.decode()


def test_a_trial_no_worker_takes_says_so(client, alice, studio, mini):
    from datetime import timedelta

    from django.utils import timezone

    prompt_set = household(studio, mini)
    trial = trials.trial_start(prompt_set=prompt_set, candidate_backend="mini", candidate_model="qwen3:4b", by=alice)
    assert trials.trial_stalled(trial) == ""
    Trial.objects.filter(pk=trial.pk).update(created=timezone.now() - timedelta(minutes=5))
    page = signed_in(client, alice).get(reverse("maintenance:trial", args=[trial.pk])).content.decode()
    assert "No worker has taken the trial yet: is the HomeOps worker running?" in page
    Trial.objects.filter(pk=trial.pk).update(status=Trial.Status.RUNNING)
    trial.refresh_from_db()
    assert trials.trial_stalled(trial) == ""  # 3 prompts on two models may take up to 18 minutes
    assert "worker probably stopped" in trials.trial_stalled(trial, now=timezone.now() + timedelta(hours=1))


def test_a_vote_for_a_prompt_that_is_not_the_trials_is_not_found(client, alice, studio, mini):
    trial = ran(household(studio, mini), alice)
    other = trials.prompt_set_save(PromptSet(alias="assistant", name="Other"))
    stranger = trials.prompt_add(prompt_set=other, text="Not in this trial")
    signed_in(client, alice)
    url = reverse("maintenance:trial_vote", args=[trial.pk])
    for prompt in ("abc", "", str(stranger.pk)):
        assert client.post(url, {"prompt": prompt, "choice": "a"}).status_code == 404
    assert not Vote.objects.exists()


def test_an_answer_longer_than_the_bound_is_cut_and_says_so(alice, studio, mini):
    from apps.maintenance.trials_run import MAX_CHARACTERS

    mini.words = ["x" * 5000] * 10  # ten "tokens", 50,000 characters: max_tokens does not stop it
    trial = ran(household(studio, mini), alice)
    long = TrialAnswer.objects.filter(trial=trial, side="candidate")
    assert all(len(a.text) == MAX_CHARACTERS for a in long)
    assert all(a.error == "mini sent more than 32,000 characters; the answer was cut there" for a in long)
    assert len(mini.endings) == 3 and trial.status == Trial.Status.VOTING
