"""Run-throughs: started from the newest revision, ticked, noted and finished by the member who
started them, kept across reloads and sign-outs, listed on the runbook page."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from apps.runbooks import runs
from apps.runbooks.models import Audience, Run, Runbook
from tests.conftest import PASSWORD, signed_in
from tests.runbooks.conftest import add_revision, steps_runbook

pytestmark = pytest.mark.django_db


def start(client, runbook: Runbook) -> Run:
    response = client.post(reverse("runbooks:run_new", args=[runbook.slug]))
    assert response.status_code == 302, response.content
    return Run.objects.get(pk=int(re.search(r"/runs/(\d+)/", response["Location"])[1]))


def tick(client, run: Run, index: int, done: bool = True, **headers):
    url = reverse("runbooks:run_tick", args=[run.runbook.slug, run.pk, index])
    return client.post(url, {"done": "1" if done else "0"}, **headers)


def page_context(runbook: Runbook, user) -> dict:
    request = RequestFactory().get("/")
    request.user = user
    return runs.page_context(runbook, request)


def test_a_run_is_pinned_to_the_newest_revision_and_copies_its_steps(client, charlie):
    runbook = steps_runbook()
    add_revision(runbook, runbook.body + "- [ ] Tell the owner\n")
    run = start(signed_in(client, charlie), runbook)
    assert run.revision.number == 2 and run.started_by == charlie
    assert [s.text for s in run.steps.all()] == [
        "Check that the **Studio** is on",
        "Open Terminal on the Studio",
        "Ask the chat something short",
        "Tell the owner",
    ]
    # A later edit never moves the steps under the friend's finger.
    add_revision(runbook, "- [ ] Something else entirely\n")
    page = client.get(reverse("runbooks:run", args=[runbook.slug, run.pk])).content.decode()
    assert "Tell the owner" in page and "Something else entirely" not in page
    assert "The runbook has changed since" in page


def test_the_run_page_shows_the_markdown_with_a_box_per_step(client, charlie):
    run = start(signed_in(client, charlie), steps_runbook())
    page = client.get(reverse("runbooks:run", args=[run.runbook.slug, run.pk])).content.decode()
    assert "<h1>Restart Ollama</h1>" in page  # the body's own heading, rendered
    assert page.count('role="checkbox" aria-checked="false"') == 3
    assert "<strong>Studio</strong>" in page
    assert '<div class="step-detail"><div class="highlight">' in page  # the step's command stays with it
    assert "launchctl" in page
    assert "0 of 3 steps done" in page


def test_ticking_records_the_time_and_survives_a_reload(client, charlie):
    run = start(signed_in(client, charlie), steps_runbook())
    response = tick(client, run, 0)  # without JavaScript: a form post, back to the step
    assert response.status_code == 302 and response["Location"].endswith("#step-0")
    page = client.get(reverse("runbooks:run", args=[run.runbook.slug, run.pk])).content.decode()
    step = run.steps.get(index=0)
    assert step.done_at is not None
    assert f'datetime="{step.done_at.isoformat()}"' in page or "Done at" in page
    assert "1 of 3 steps done" in page
    # htmx: the step comes back alone, with the progress count out of band.
    response = tick(client, run, 1, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="step-1"' in html and "Done at" in html
    assert 'hx-swap-oob="true">2 of 3 steps done' in html
    # Ticking again keeps the first time; unticking clears it.
    first = run.steps.get(index=0).done_at
    tick(client, run, 0)
    assert run.steps.get(index=0).done_at == first
    tick(client, run, 0, done=False)
    assert run.steps.get(index=0).done_at is None


def test_a_step_takes_a_note(client, charlie):
    run = start(signed_in(client, charlie), steps_runbook())
    url = reverse("runbooks:run_note", args=[run.runbook.slug, run.pk, 2])
    response = client.post(url, {"note": "  It answered in 20 s.  "}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "It answered in 20 s." in response.content.decode()
    assert run.steps.get(index=2).note == "It answered in 20 s."
    response = client.post(url, {"note": "x" * 2001}, follow=True)
    assert "The note was not saved" in response.content.decode()
    assert run.steps.get(index=2).note == "It answered in 20 s."


def test_a_run_in_progress_survives_a_sign_out(client, charlie):
    runbook = steps_runbook()
    run = start(signed_in(client, charlie), runbook)
    tick(client, run, 0)
    client.logout()
    assert client.login(username="charlie", password=PASSWORD)
    page = client.get(reverse("runbooks:run_new", args=[runbook.slug])).content.decode()
    assert "You have a run in progress" in page and reverse("runbooks:run", args=[runbook.slug, run.pk]) in page
    html = render_to_string("runbooks/partials/runs.html", page_context(runbook, charlie))
    assert "You have a run in progress — <a" in html
    # Starting again continues it rather than making a second run.
    assert start(client, runbook) == run
    assert runbook.runs.count() == 1


def test_finishing_with_it_worked_sets_last_exercised(client, charlie):
    runbook = steps_runbook()
    run = start(signed_in(client, charlie), runbook)
    url = reverse("runbooks:run_finish", args=[runbook.slug, run.pk])
    response = client.post(url, {"note": "Fine."})
    assert response.status_code == 400 and "Say how it went" in response.content.decode()
    response = client.post(url, {"outcome": "worked", "note": "Took five minutes."}, follow=True)
    assert "The run is recorded: it worked." in response.content.decode()
    run.refresh_from_db()
    runbook.refresh_from_db()
    assert run.outcome == Run.Outcome.WORKED and run.note == "Took five minutes."
    assert runbook.last_exercised == run.finished
    # Finished is finished: no second outcome, no more ticks.
    client.post(url, {"outcome": "failed"})
    run.refresh_from_db()
    assert run.outcome == Run.Outcome.WORKED
    assert "This run is finished." in tick(client, run, 0, follow=True).content.decode()
    assert not run.steps.filter(done_at__isnull=False).exists()


def test_a_run_that_did_not_work_leaves_last_exercised_alone(charlie):
    runbook = steps_runbook()
    run = runs.run_start(runbook=runbook, user=charlie)
    runs.run_finish(run=run, outcome=Run.Outcome.FAILED, note="", user=charlie)
    runbook.refresh_from_db()
    assert runbook.last_exercised is None


def test_only_the_starter_continues_a_run_and_the_owner_sees_them_all(client, alice, bob, charlie):
    runbook = steps_runbook(audience=Audience.CARETAKER)
    run = runs.run_start(runbook=runbook, user=charlie)
    bobs = runs.run_start(runbook=runbook, user=bob)
    run_url = reverse("runbooks:run", args=[runbook.slug, run.pk])
    # Bob does not see Charlie's run at all; Alice reads it but cannot tick it.
    assert signed_in(client, bob).get(run_url).status_code == 404
    assert tick(client, run, 0).status_code == 404
    page = signed_in(client, alice).get(run_url).content.decode()
    assert "charlie is still running through this" in page and "run_tick" not in page
    assert 'hx-post="' not in page
    assert "Only the person who started this run" in tick(client, run, 0, follow=True).content.decode()
    response = tick(client, run, 0, headers={"HX-Request": "true"})  # htmx: the whole page says why
    assert response["HX-Redirect"] == run_url
    with pytest.raises(runs.RunRefused):
        runs.run_finish(run=run, outcome=Run.Outcome.WORKED, note="", user=alice)
    assert {r.pk for r in page_context(runbook, alice)["runs"]} == {run.pk, bobs.pk}
    assert [r.pk for r in page_context(runbook, bob)["runs"]] == [bobs.pk]


def test_a_runbook_beyond_the_role_cannot_be_run(client, charlie):
    runbook = steps_runbook(audience=Audience.HOUSEHOLD)
    assert signed_in(client, charlie).post(reverse("runbooks:run_new", args=[runbook.slug])).status_code == 404
    with pytest.raises(runs.RunRefused):
        runs.run_start(runbook=runbook, user=charlie)
    assert not Run.objects.exists()


def test_a_runbook_never_saved_has_nothing_to_run(client, charlie):
    runbook = Runbook.objects.create(slug="empty", title="Empty", audience=Audience.CARETAKER)
    response = signed_in(client, charlie).post(reverse("runbooks:run_new", args=[runbook.slug]), follow=True)
    assert "has not been saved yet" in response.content.decode()
    assert not Run.objects.exists()


def test_a_changed_body_since_the_last_successful_run_is_said(alice, charlie):
    runbook = steps_runbook()
    assert runs.changed_since_exercised(runbook) is None
    run = runs.run_start(runbook=runbook, user=charlie)
    runs.run_finish(run=run, outcome=Run.Outcome.WORKED, note="", user=charlie)
    add_revision(runbook, runbook.body, title="Restart Ollama (Studio)")  # the title alone changed
    assert runs.changed_since_exercised(runbook) is None
    add_revision(runbook, runbook.body + "- [ ] Check the fallback model\n")
    changed = runs.changed_since_exercised(runbook)
    assert changed is not None and changed.revision == 1 and changed.exercised == run.finished
    html = render_to_string("runbooks/partials/runs.html", page_context(runbook, alice))
    assert f"Changed since it was last exercised on {run.finished:%-d %B}" in html


def test_the_runbook_page_lists_runs_newest_first_with_who_outcome_and_steps(alice, charlie):
    runbook = steps_runbook()
    first = runs.run_start(runbook=runbook, user=charlie)
    runs.run_tick(run=first, index=0, done=True, user=charlie)
    runs.run_finish(run=first, outcome=Run.Outcome.PARTLY, note="", user=charlie)
    second = runs.run_start(runbook=runbook, user=charlie)
    html = render_to_string("runbooks/partials/runs.html", page_context(runbook, alice))
    rows = re.findall(r"<tr>.*?</tr>", html, re.S)[1:]
    assert [f"/runs/{run.pk}/" in row for row, run in zip(rows, (second, first), strict=True)] == [True, True]
    assert "In progress" in rows[0]
    assert "It partly worked" in rows[1] and "charlie" in rows[1] and "1 of 3" in rows[1]
    assert "No run-throughs yet" in render_to_string(
        "runbooks/partials/runs.html", page_context(steps_runbook(slug="other"), alice)
    )


def test_a_revision_is_rendered_once_for_all_its_pages_and_ticks(client, charlie):
    from django.core.cache import cache

    run = start(signed_in(client, charlie), steps_runbook())
    assert cache.get(runs.render_key(run.revision)) is None
    client.get(reverse("runbooks:run", args=[run.runbook.slug, run.pk]))
    cached = cache.get(runs.render_key(run.revision))
    assert [index for _, index, _ in cached] == [None, 0, 1, 2]
    assert "<strong>Studio</strong>" in cached[1][0]


def test_a_refused_finish_leaves_the_run_open_and_a_late_tick_is_refused(client, charlie):
    runbook = steps_runbook()
    run = start(signed_in(client, charlie), runbook)
    url = reverse("runbooks:run_finish", args=[runbook.slug, run.pk])
    response = client.post(url, {"outcome": "worked", "note": "x" * 4001})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Too long: at most 4000 characters" in page and "When you are done" in page
    run.refresh_from_db()
    assert run.finished is None
    # Finished in another tab while this one still shows the open run: the tick is refused.
    stale = Run.objects.get(pk=run.pk)
    runs.run_finish(run=run, outcome=Run.Outcome.FAILED, note="", user=charlie)
    with pytest.raises(runs.RunRefused, match="finished"):
        runs.run_tick(run=stale, index=0, done=True, user=charlie)
    assert not run.steps.filter(done_at__isnull=False).exists()
