"""The runbook pages: the list (tags, stale, empty), a runbook's page, the owner's editor with
its preview, the secret warning, the edit conflict and the history's diffs; reading follows
the audience (a runbook a role may not read is not found), only the owner edits."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.runbooks import services
from apps.runbooks.models import Audience, Runbook
from apps.status.models import Host, Kind, Service
from tests.conftest import signed_in
from tests.runbooks.conftest import make_runbook


def titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/runbooks/[^"]+/">([^<]*)</a>', html)


@pytest.fixture
def shelf(alice):
    return {
        "owner": make_runbook("owner-notes", title="Owner notes", audience=Audience.OWNER, author=alice),
        "household": make_runbook("nas-full", title="The NAS is full", tags=["nas"], author=alice),
        "caretaker": make_runbook("ups", title="The UPS is on battery", audience=Audience.CARETAKER, tags=["power"]),
    }


@pytest.mark.parametrize(
    ("who", "listed"),
    [
        ("alice", ["Owner notes", "The NAS is full", "The UPS is on battery"]),
        ("bob", ["The NAS is full", "The UPS is on battery"]),
        ("charlie", ["The UPS is on battery"]),
    ],
)
def test_each_role_lists_only_the_audiences_it_reads(client, shelf, bob, charlie, alice, who, listed):
    signed_in(client, {"alice": alice, "bob": bob, "charlie": charlie}[who])
    assert titles(client.get("/runbooks/").content.decode()) == listed


@pytest.mark.parametrize(
    ("who", "slug", "status"),
    [("bob", "owner-notes", 404), ("charlie", "nas-full", 404), ("charlie", "ups", 200), ("bob", "nas-full", 200)],
)
def test_a_runbook_a_role_may_not_read_is_not_found(client, shelf, bob, charlie, who, slug, status):
    signed_in(client, bob if who == "bob" else charlie)
    assert client.get(f"/runbooks/{slug}/").status_code == status
    assert client.get(f"/runbooks/{slug}/history/").status_code == status


def test_the_list_filters_by_tag(client, alice, shelf):
    signed_in(client, alice)
    assert titles(client.get("/runbooks/?tag=power").content.decode()) == ["The UPS is on battery"]
    html = client.get("/runbooks/?tag=nope").content.decode()
    assert "No runbook has the tag “nope”" in html


def test_the_list_says_what_to_do_when_there_are_none(client, alice, bob):
    signed_in(client, alice)
    assert "Write the first one" in client.get("/runbooks/").content.decode()
    signed_in(client, bob)
    html = client.get("/runbooks/").content.decode()
    assert "No runbooks yet." in html and "Write the first one" not in html


def test_a_stale_runbook_is_flagged_in_the_list_and_on_its_page_with_why(client, alice, shelf):
    Runbook.objects.filter(slug="nas-full").update(created=timezone.now() - timedelta(days=200), review_days=90)
    signed_in(client, alice)
    listing = client.get("/runbooks/").content.decode()
    assert listing.count('<span class="badge warn"') == 1
    page = client.get("/runbooks/nas-full/").content.decode()
    assert "Stale." in page and "since it was written 200 days ago" in page and "every 90 days" in page
    client.post("/runbooks/nas-full/reviewed/")
    assert "Stale." not in client.get("/runbooks/nas-full/").content.decode()


def test_a_runbook_page_shows_steps_tags_links_and_dates(client, alice, bob):
    host = Host.objects.create(name="Studio")
    service = Service.objects.create(
        name="studio-ollama", label="Chat assistant", kind=Kind.TCP, check_config={"host": "x", "port": 1}
    )
    runbook = make_runbook("restart-ollama", title="Restart Ollama", tags=["studio"], author=alice)
    services.runbook_save(runbook, author=alice, hosts=[host], services=[service])
    signed_in(client, bob)
    html = client.get("/runbooks/restart-ollama/").content.decode()
    assert html.count('<li class="step">') == 2
    assert 'href="/status/studio-ollama/"' in html or "Chat assistant" in html
    assert "Studio" in html and "studio" in html and "Household (owner and family)" in html
    assert "Last reviewed</dt><dd>never" in html and "Last exercised</dt><dd>never" in html
    assert "Edit</a>" not in html and "Mark reviewed" not in html  # only the owner edits


def test_the_owner_creates_a_runbook_from_a_starter(client, alice):
    signed_in(client, alice)
    chooser = client.get("/runbooks/new/").content.decode()
    assert "Restore from backup" in chooser and "The power went out" in chooser
    editor = client.get("/runbooks/new/?from=power-out").content.decode()
    assert "The power went out" in editor and 'class="step"' in editor  # the preview, rendered on the server
    response = client.post(
        "/runbooks/new/?from=power-out",
        {
            "title": "The power went out",
            "slug": "",
            "audience": "caretaker",
            "tags": "power ups",
            "body": "- [ ] Wait",
            "review_days": 180,
            "note": "from the starter",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/runbooks/the-power-went-out/"
    runbook = Runbook.objects.get(slug="the-power-went-out")
    assert runbook.tags == ["power", "ups"] and runbook.revisions.get().note == "from the starter"


def test_the_preview_renders_the_body_without_saving(client, alice, runbook):
    signed_in(client, alice)
    response = client.post(reverse("runbooks:preview"), {"body": "# Hi\n\n- [ ] One step"})
    assert '<li class="step">' in response.content.decode() and "<h1>Hi</h1>" in response.content.decode()
    # The Preview button (no JavaScript): the same page, the text kept, nothing saved.
    response = client.post(
        "/runbooks/restart-ollama/edit/", {"title": "T", "body": "**bold**", "preview": "1", "base_revision": 1}
    )
    assert "<strong>bold</strong>" in response.content.decode()
    assert Runbook.objects.get(pk=runbook.pk).body != "**bold**"


def form_data(runbook: Runbook, **changes) -> dict:
    data = {
        "title": runbook.title,
        "slug": runbook.slug,
        "audience": runbook.audience,
        "tags": " ".join(runbook.tags),
        "body": runbook.body,
        "review_days": runbook.review_days,
        "base_revision": runbook.revision,
        "save": "1",
    }
    data.update(changes)
    return data


def test_a_secret_shaped_line_is_named_and_the_owner_may_keep_it(client, alice, runbook):
    signed_in(client, alice)
    body = "- [ ] Sign in\n\nNAS admin password: Tr0ub4dor&3\n"
    response = client.post("/runbooks/restart-ollama/edit/", form_data(runbook, body=body))
    html = response.content.decode()
    assert response.status_code == 200 and "This looks like it holds a secret" in html
    assert "Line 3: a password" in html and "Tr0ub4dor" not in html.split("<textarea")[0]
    assert Runbook.objects.get(pk=runbook.pk).revision == 1
    response = client.post("/runbooks/restart-ollama/edit/", form_data(runbook, body=body, keep_secrets="on"))
    assert response.status_code == 302
    saved = Runbook.objects.get(pk=runbook.pk)
    assert saved.secret_override and saved.revision == 2
    assert "never printed in the binder" in client.get("/runbooks/restart-ollama/").content.decode()
    # Replaced by a pointer: the override goes.
    client.post(
        "/runbooks/restart-ollama/edit/", form_data(saved, body="NAS admin: password manager, vault Home, item DSM")
    )
    assert not Runbook.objects.get(pk=runbook.pk).secret_override


def test_an_edit_from_an_outdated_revision_shows_their_change_and_lets_the_editor_choose(client, alice, runbook):
    started = runbook.revision
    theirs = Runbook.objects.get(pk=runbook.pk)
    theirs.body = "- [ ] Open the Studio\n- [ ] Restart Ollama from the menu bar\n"
    services.runbook_save(theirs, author=alice, note="menu bar")
    signed_in(client, alice)
    mine = "- [ ] Open the Studio\n- [ ] Restart Ollama\n- [ ] Check the board\n"
    response = client.post("/runbooks/restart-ollama/edit/", form_data(runbook, body=mine, base_revision=started))
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone saved this runbook while you were editing" in html and "menu bar" in html
    assert '<tr class="del">' in html and '<tr class="add">' in html
    assert Runbook.objects.get(pk=runbook.pk).body == theirs.body  # nothing overwritten
    assert re.search(r'name="base_revision" value="2"', html)  # "save mine anyway" builds on theirs
    response = client.post("/runbooks/restart-ollama/edit/", form_data(runbook, body=mine, base_revision=2))
    assert response.status_code == 302
    assert Runbook.objects.get(pk=runbook.pk).body == mine.strip() and runbook.revisions.count() == 3


def test_the_history_compares_any_two_revisions_inline_and_side_by_side(client, alice, bob, runbook):
    for text in ("- [ ] Two\n", "- [ ] Three\n", "- [ ] Four\n"):
        runbook.body = text
        services.runbook_save(runbook, author=alice)
    signed_in(client, bob)
    html = client.get("/runbooks/restart-ollama/history/?a=1&b=3").content.decode()
    assert "Revision 1 → revision 3" in html and "Restore" not in html
    assert "<code>- [ ] Three</code>" in html and 'class="diff inline"' in html
    side = client.get("/runbooks/restart-ollama/history/?a=4&b=2&view=side").content.decode()
    assert "Revision 4 → revision 2" in side and 'class="diff side"' in side


def test_the_owner_restores_from_the_history(client, alice, runbook):
    first = runbook.body
    runbook.body = "changed"
    services.runbook_save(runbook, author=alice)
    signed_in(client, alice)
    assert "Restore</button>" in client.get("/runbooks/restart-ollama/history/").content.decode()
    client.post("/runbooks/restart-ollama/restore/1/")
    runbook.refresh_from_db()
    assert runbook.body == first and runbook.revision == 3


def test_only_the_owner_edits(client, bob, runbook):
    signed_in(client, bob)
    assert client.get("/runbooks/restart-ollama/edit/").status_code == 403
    assert client.post("/runbooks/restart-ollama/restore/1/").status_code == 403
    assert client.post("/runbooks/restart-ollama/delete/").status_code == 403
    assert Runbook.objects.filter(pk=runbook.pk).exists()


def test_the_owner_deletes_a_runbook(client, alice, runbook):
    signed_in(client, alice)
    assert client.post("/runbooks/restart-ollama/delete/").status_code == 302
    assert not Runbook.objects.exists()


def test_an_address_that_is_a_page_of_its_own_is_refused(client, alice):
    signed_in(client, alice)
    response = client.post(
        "/runbooks/new/?from=blank",
        {"title": "New", "slug": "new", "audience": "household", "body": "", "review_days": 180},
    )
    assert "is a page of its own" in response.content.decode()


def test_an_owner_who_kept_secret_lines_is_not_asked_at_every_save(client, alice, runbook):
    runbook.body = "password: hunter2hunter2"
    services.runbook_save(runbook, keep_secrets=True)
    signed_in(client, alice)
    editor = client.get("/runbooks/restart-ollama/edit/").content.decode()
    assert re.search(r'<input type="checkbox" name="keep_secrets"[^>]* checked', editor)
