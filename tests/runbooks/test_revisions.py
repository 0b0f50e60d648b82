"""Every save is an append-only revision: numbered per runbook, with author, source and note;
an unchanged title and body make none; restore makes a new one; an edit that began before
someone else's save never overwrites it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from apps.runbooks import services
from apps.runbooks.models import Revision, Runbook
from tests.runbooks.conftest import make_runbook


def test_each_save_that_changes_the_text_appends_a_numbered_revision(alice, runbook):
    runbook.body += "- [ ] Check the board\n"
    services.runbook_save(runbook, author=alice, note="added the check")
    runbook.title = "Restart Ollama on the Studio"
    services.runbook_save(runbook, author=alice)
    rows = list(runbook.revisions.order_by("number").values_list("number", "note", "source", "author__username"))
    assert rows == [(1, "first", "page", "alice"), (2, "added the check", "page", "alice"), (3, "", "page", "alice")]
    assert Runbook.objects.get(pk=runbook.pk).revision == 3
    assert runbook.revisions.get(number=3).title == "Restart Ollama on the Studio"


def test_an_unchanged_title_and_body_make_no_revision(alice, runbook):
    runbook.review_days = 30
    services.runbook_save(runbook, author=alice, note="only the interval")
    assert runbook.revisions.count() == 1
    assert Runbook.objects.get(pk=runbook.pk).review_days == 30


def test_numbers_are_per_runbook_and_unique(alice, runbook):
    other = make_runbook("ups-on-battery", author=alice)
    assert other.revisions.get().number == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Revision.objects.create(runbook=runbook, number=1, title="x", body="y")


def test_restoring_an_old_revision_makes_a_new_one(alice, runbook):
    first_body = runbook.body
    runbook.body = "- [ ] Something else entirely\n"
    services.runbook_save(runbook, author=alice)
    services.runbook_restore(runbook, revision=runbook.revisions.get(number=1), author=alice)
    runbook.refresh_from_db()
    assert runbook.body == first_body and runbook.revision == 3
    newest = runbook.revisions.get(number=3)
    assert (newest.source, newest.note, newest.body) == ("restore", "Restored revision 1", first_body)
    assert runbook.revisions.count() == 3  # nothing in between was lost


def test_an_edit_from_an_outdated_revision_is_refused_and_writes_nothing(alice, runbook):
    theirs = Runbook.objects.get(pk=runbook.pk)
    theirs.body = "- [ ] Their step\n"
    services.runbook_save(theirs, author=alice, base_revision=1)
    mine = Runbook.objects.get(pk=runbook.pk)
    mine.body = "- [ ] My step\n"
    with pytest.raises(services.EditConflict) as caught:
        services.runbook_save(mine, author=alice, base_revision=1)
    assert caught.value.current.number == 2
    assert Runbook.objects.get(pk=runbook.pk).body == "- [ ] Their step\n"
    assert runbook.revisions.count() == 2
    services.runbook_save(mine, author=alice, base_revision=2)  # "save mine anyway"
    assert Runbook.objects.get(pk=runbook.pk).revision == 3


def test_a_revision_number_cannot_come_from_the_caller(alice, runbook):
    runbook.revision = 41
    runbook.body = "changed"
    services.runbook_save(runbook, author=alice)
    assert Runbook.objects.get(pk=runbook.pk).revision == 2


def test_deleting_a_runbook_takes_its_revisions_and_runs(alice, runbook):
    from apps.runbooks.models import Run

    Run.objects.create(runbook=runbook, revision=runbook.revisions.get(), started_by=alice)
    services.runbook_delete(runbook)
    assert not Revision.objects.exists() and not Run.objects.exists()
