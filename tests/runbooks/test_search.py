"""Runbook search: ranked and highlighted on Postgres, the fallback on SQLite, and always only
the runbooks the member may read, on the list page and in the navigation's search box
(/search/, which also finds the member's own conversations and nobody else's)."""

from __future__ import annotations

import re

import pytest
from django.db import connection  # noqa: F401 (the skipif conditions read it)

from apps.chat.models import Conversation, Message
from apps.runbooks import selectors
from apps.runbooks.models import Audience
from tests.conftest import signed_in
from tests.runbooks.conftest import make_runbook

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="ranking is Postgres' full-text search")
sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the fallback is what SQLite runs")


@pytest.fixture
def shelf(alice):
    make_runbook("ups", title="The UPS is on battery", body="Shut down the NAS cleanly.", audience=Audience.CARETAKER)
    make_runbook("disk", title="Replace a disk", body="The NAS beeps: a disk has failed. Pull the disk tray.")
    make_runbook(
        "restore", title="Restore a file", body="Open Snapshot Replication on the NAS and copy the disk image."
    )
    make_runbook("owner", title="Owner's disk notes", body="Spare disk in the cupboard.", audience=Audience.OWNER)


def hits(html: str) -> list[str]:
    lists = re.findall(r'<ul class="plain hits">(.*?)</ul>', html, re.S)
    return [url for part in lists for url in re.findall(r'<li><a href="([^"]+)">', part)]


def found(user, query: str) -> list[str]:
    return [row.runbook.slug for row in selectors.listing(user, query=query)]


@postgres_only
def test_a_word_in_the_title_ranks_first_and_is_highlighted_on_postgres(alice, shelf):
    rows = selectors.listing(alice, query="disk")
    assert [row.runbook.slug for row in rows][:2] == ["disk", "owner"]  # title (weight A) over body
    assert set(found(alice, "disk")) == {"disk", "owner", "restore"}
    assert "<mark>disk</mark>" in str(rows[0].snippet)
    assert found(alice, "disks failing") == ["disk"]  # stemming: disks → disk, failing → fail


@sqlite_only
def test_the_sqlite_fallback_finds_every_word_unranked(alice, shelf):
    assert found(alice, "disk") == ["owner", "disk", "restore"]  # the list's own order: by title
    assert found(alice, "nas -snapshot") == ["disk", "ups"]
    assert "<mark>disk</mark>" in str(selectors.listing(alice, query="disk")[0].snippet)


@pytest.mark.parametrize(
    ("who", "expected"), [("alice", {"disk", "owner", "restore"}), ("bob", {"disk", "restore"}), ("charlie", set())]
)
def test_search_finds_only_what_the_member_may_read(alice, bob, charlie, shelf, who, expected):
    user = {"alice": alice, "bob": bob, "charlie": charlie}[who]
    assert set(found(user, "disk")) == expected
    assert {row.runbook.slug for row in selectors.search(user, "disk", limit=10)} == expected


def test_the_search_box_finds_runbooks_and_ones_own_conversations(client, alice, bob, charlie, shelf):
    mine = Conversation.objects.create(owner=bob, title="Which disk to buy")
    Message.objects.create(conversation=mine, role="user", content="a quiet disk for the NAS")
    theirs = Conversation.objects.create(owner=alice, title="Alice's disk plans")
    signed_in(client, bob)
    html = client.get("/search/?q=disk").content.decode()
    links = hits(html)
    assert "/runbooks/disk/" in links and "/runbooks/restore/" in links and "/runbooks/owner/" not in links
    assert f"/chat/{mine.pk}/" in links and f"/chat/{theirs.pk}/" not in links
    signed_in(client, charlie)  # no chat for the caretaker, and no household runbooks
    html = client.get("/search/?q=battery").content.decode()
    assert hits(html) == ["/runbooks/ups/"] and "Your conversations" not in html


def test_the_search_box_is_in_the_navigation_and_an_empty_query_says_what_it_searches(client, bob):
    signed_in(client, bob)
    html = client.get("/").content.decode()
    assert 'action="/search/"' in html
    assert "the runbooks you may read and your own conversations" in client.get("/search/").content.decode()


def test_the_list_page_searches_too(client, bob, shelf):
    signed_in(client, bob)
    html = client.get("/runbooks/?q=snapshot").content.decode()
    assert re.findall(r'<h2><a href="/runbooks/([^/]+)/">', html) == ["restore"]
