"""The conversation search page (apps.core.search underneath): by title or message, one's own
conversations only, paginated, with a highlighted line from the newest matching message."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.roles import Role
from apps.chat import services
from apps.chat.models import Conversation, Message
from apps.chat.views import PAGE_SIZE
from tests.conftest import make_member


@pytest.fixture
def bob(db):
    return make_member("bob", Role.FAMILY)


@pytest.fixture
def signed_in(bob, client):
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    return client


def chat(owner, title: str, *messages: str, deleted: bool = False) -> Conversation:
    conversation = Conversation.objects.create(owner=owner, title=title, alias="assistant")
    for n, text in enumerate(messages):
        Message.objects.create(conversation=conversation, role="user" if n % 2 == 0 else "assistant", content=text)
    if deleted:
        services.delete(conversation)
    return conversation


def listed(html: str) -> list[str]:
    return re.findall(r'<li><a href="/chat/\d+/">([^<]*)</a>', html)


def test_it_finds_conversations_by_title_or_message_and_shows_where(bob, signed_in):
    chat(bob, "Router", "which port?")
    chat(bob, "Evening", "how do I reset the router?", "Hold the button for ten seconds.")
    chat(bob, "Holidays", "where to?")
    chat(bob, "Old router notes", deleted=True)
    chat(make_member("alice", Role.OWNER), "Alice's router")
    html = signed_in.get("/chat/?q=router").content.decode()
    assert sorted(listed(html)) == ["Evening", "Router"]
    assert "reset the <mark>router</mark>" in html


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="ranking is Postgres' full-text search")
def test_title_matches_come_first_then_the_newest(bob, signed_in):
    chat(bob, "Router", "x")
    chat(bob, "Backup", "the router rebooted")
    chat(bob, "The router and the router's fan")
    chat(bob, "Newest", "router again")
    html = signed_in.get("/chat/?q=router").content.decode()
    assert listed(html) == ["The router and the router&#x27;s fan", "Router", "Newest", "Backup"]


def test_a_search_for_markup_shows_it_as_text(bob, signed_in):
    chat(bob, "<b>Bold</b> title", "Never paste <script>alert(1)</script> into the wiki, script kiddie.")
    html = signed_in.get("/chat/", {"q": "<script> kiddie"}).content.decode()
    assert "<script>alert" not in html and "<b>Bold" not in html
    assert "&lt;/script&gt; into the wiki" in html
    assert "<mark>kiddie</mark>" in html


def test_results_are_paginated_and_the_pages_keep_the_query(bob, signed_in):
    for n in range(PAGE_SIZE + 5):
        chat(bob, f"Chat {n}", f"question {n} about the ups")
    chat(bob, "Unrelated", "hello")
    first = signed_in.get("/chat/?q=ups").content.decode()
    assert len(listed(first)) == PAGE_SIZE
    assert "Page 1 of 2" in first
    assert 'href="?page=2&amp;q=ups"' in first
    second = signed_in.get("/chat/?page=2&q=ups").content.decode()
    assert len(listed(second)) == 5
    assert "Unrelated" not in first + second


def test_the_number_of_queries_does_not_grow_with_the_results(bob, signed_in):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get("/chat/?q=backup").status_code == 200
        return len(captured)

    chat(bob, "One", "backup question")
    queries()  # the first request of a session does more
    few = queries()
    for n in range(20):
        chat(bob, f"More {n}", "the backup", "backup answer")
    assert queries() == few


def test_nothing_found_says_so(bob, signed_in):
    chat(bob, "Router", "which port?")
    html = signed_in.get("/chat/?q=zebra").content.decode()
    assert listed(html) == []
    assert "Nothing matches “zebra”" in html
