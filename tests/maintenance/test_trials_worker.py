"""End to end: the owner starts trials on the page and a real Celery worker runs them against two
fake backends (different words, different speeds), one model after the other; the page
follows the progress (htmx) and a candidate that is down fails its prompts in words."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from apps.maintenance import trials
from apps.maintenance.models import PromptSet, Trial, TrialAnswer
from tests.conftest import signed_in
from tests.fixtures.celery_worker import worker_and_beat
from tests.fixtures.fake_llm import FakeLLM
from tests.fixtures.ports import free_port
from tests.gateway.conftest import _fresh_snapshot, make_backend, make_route  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for_status(trial_id: int, status: str, seconds: float = 60) -> Trial:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        trial = Trial.objects.get(pk=trial_id)
        if trial.status == status:
            return trial
        time.sleep(0.2)
    raise AssertionError(f"trial {trial_id} stayed {trial.status} ({trial.error!r}), expected {status}")


@pytest.fixture
def servers():
    studio = FakeLLM(models=("llama3.1:8b",))
    studio.words, studio.token_delay, studio.first_delay = ["Slow ", "and ", "careful ", "answer."], 0.15, 0.2
    mini = FakeLLM(models=("qwen3:4b",))
    mini.words, mini.token_delay = ["Quick ", "answer."], 0.01
    yield studio.start(), mini.start()
    studio.stop()
    mini.stop()


def test_a_real_worker_runs_the_trial_and_the_page_follows_it(client, alice, servers):
    studio, mini = servers
    make_route("assistant", (make_backend("studio", studio), "llama3.1:8b"))
    make_backend("mini", mini)
    make_backend("attic", url=f"http://127.0.0.1:{free_port()}/v1")
    prompt_set = trials.prompt_set_save(PromptSet(alias="assistant", name="Everyday questions"))
    for text in ("What can I cook with leeks?", "Why is the sky blue?", "A board game for four?"):
        trials.prompt_add(prompt_set=prompt_set, text=text)
    signed_in(client, alice)
    start = reverse("maintenance:trial_start", args=[prompt_set.pk])
    with worker_and_beat():
        response = client.post(start, {"candidate_backend": "mini", "candidate_model": "qwen3:4b"})
        trial_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
        url = reverse("maintenance:trial", args=[trial_id])
        # While it runs, htmx polls a progress card; once the answers are in, the page reloads itself.
        wait_for_status(trial_id, Trial.Status.RUNNING)
        partial = client.get(url, headers={"HX-Request": "true"})
        assert 'id="progress"' in partial.content.decode() and "answers" in partial.content.decode()
        trial = wait_for_status(trial_id, Trial.Status.VOTING)
        assert client.get(url, headers={"HX-Request": "true"})["HX-Refresh"] == "true"

        response = client.post(start, {"candidate_backend": "attic", "candidate_model": "llama3.2:3b"})
        down = wait_for_status(int(response["Location"].rstrip("/").rsplit("/", 1)[1]), Trial.Status.VOTING)

    answers = TrialAnswer.objects.filter(trial=trial)
    current, candidate = answers.filter(side="current"), answers.filter(side="candidate")
    assert {a.text for a in current} == {"Slow and careful answer."}
    assert {a.text for a in candidate} == {"Quick answer."}
    assert max(a.pk for a in current) < min(a.pk for a in candidate)  # one model, then the other
    assert all(a.first_token_ms >= 200 for a in current)
    assert min(a.first_token_ms for a in current) > max(a.first_token_ms for a in candidate)
    assert max(a.tokens_per_second for a in current) < min(a.tokens_per_second for a in candidate)
    assert {a.tokens for a in current} == {4} and {a.tokens for a in candidate} == {2}
    assert trial.progress == 6 and trial.finished is not None

    failed = TrialAnswer.objects.filter(trial=down, side="candidate")
    assert [a.error.split(" (")[0] for a in failed] == ["attic refused the connection"] * 3
    assert TrialAnswer.objects.filter(trial=down, side="current", error="").count() == 3
    page = client.get(reverse("maintenance:trial", args=[down.pk])).content.decode()
    assert "No answer: attic refused the connection" in page
