"""The one search helper (apps.core.search): full text with ranking and snippets on Postgres,
the plain fallback on SQLite, snippets that are safe to show, and the index migration.
The suite runs on both databases; each test says which one it needs."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.accounts.roles import Role
from apps.chat.models import Conversation, Message
from apps.core import search
from tests.conftest import make_member

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="full-text search is Postgres only")
sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the fallback is what SQLite runs")


@pytest.fixture
def bob(db):
    return make_member("bob", Role.FAMILY)


def conversation(owner, title: str, prompt: str = "", *messages: str) -> Conversation:
    chat = Conversation.objects.create(owner=owner, title=title, system_prompt=prompt)
    for text in messages:
        Message.objects.create(conversation=chat, role="user", content=text)
    return chat


def titles(queryset) -> list[str]:
    return [row.title for row in queryset]


# --- Matching and ranking -------------------------------------------------------------------


@postgres_only
def test_it_ranks_the_first_field_above_the_second(bob):
    conversation(bob, "Shopping list", "Remember the backup drive")
    conversation(bob, "Backup of the NAS", "")
    conversation(bob, "Holidays", "")
    found = search.search(Conversation.objects.all(), "backup", fields=["title", "system_prompt"])
    assert titles(found) == ["Backup of the NAS", "Shopping list"]
    assert found[0].search_rank > found[1].search_rank > 0


@postgres_only
def test_it_ranks_more_mentions_higher_and_keeps_the_querysets_order_for_ties(bob):
    once = conversation(bob, "", "The UPS beeped")
    twice = conversation(bob, "", "The UPS beeped, then the UPS shut the NAS down")
    also_once = conversation(bob, "", "Check the UPS battery")
    found = list(search.search(Conversation.objects.order_by("id"), "ups", fields=["system_prompt"]))
    assert found[0] == twice
    assert found[1:] == [once, also_once]  # the same rank: in the queryset's order (id)


@postgres_only
def test_it_stems_words_and_reads_quotes_and_minus_like_a_web_search(bob):
    conversation(bob, "Finding big files on the NAS")
    conversation(bob, "Big file transfer to the Studio")
    conversation(bob, "Files that are not big")
    assert sorted(titles(search.matches(Conversation.objects.all(), "file big", fields=["title"]))) == [
        "Big file transfer to the Studio",
        "Files that are not big",
        "Finding big files on the NAS",
    ]
    phrase = search.matches(Conversation.objects.all(), '"big files"', fields=["title"])
    assert sorted(titles(phrase)) == ["Big file transfer to the Studio", "Finding big files on the NAS"]
    without = search.matches(Conversation.objects.all(), "big -studio", fields=["title"])
    assert "Big file transfer to the Studio" not in titles(without)
    # Nothing a member types is a syntax error.
    for odd in ('"', "-", "&|!", "a:*", "(", "<script>"):
        list(search.search(Conversation.objects.all(), odd, fields=["title"]))


@sqlite_only
def test_the_fallback_wants_every_word_in_some_field_and_does_not_rank(bob):
    conversation(bob, "Backup of the NAS", "weekly")
    conversation(bob, "Backup", "of the NAS, monthly")
    conversation(bob, "The NAS", "")
    found = search.search(Conversation.objects.order_by("id"), "BACKUP nas", fields=["title", "system_prompt"])
    assert titles(found) == ["Backup of the NAS", "Backup"]  # the queryset's order, no ranking
    assert {row.search_rank for row in found} == {0.0}
    # Part of a word is enough here (icontains); a phrase must appear as it is; a minus excludes.
    assert titles(search.matches(Conversation.objects.order_by("id"), "back", fields=["title"])) == [
        "Backup of the NAS",
        "Backup",
    ]
    assert titles(search.matches(Conversation.objects.all(), '"of the nas"', fields=["title"])) == ["Backup of the NAS"]
    assert titles(search.matches(Conversation.objects.all(), "backup -nas", fields=["title"])) == ["Backup"]
    assert titles(search.matches(Conversation.objects.all(), "& -nas", fields=["title"])) == []


def test_the_fallback_reads_words_phrases_and_minus():
    assert search.terms('backup "the NAS" -studio or "unclosed') == [
        ("backup", False),
        ("the NAS", False),
        ("studio", True),
        ("unclosed", False),
    ]
    assert search.words('a -b "c d"') == ["a", "c d"]
    assert search.terms('- "" -- &') == []


def test_a_blank_query_filters_nothing(bob):
    conversation(bob, "One")
    conversation(bob, "Two")
    assert search.search(Conversation.objects.all(), "  ", fields=["title"]).count() == 2


def test_or_where_adds_rows_found_another_way(bob):
    from django.db.models import Exists, OuterRef

    by_title = conversation(bob, "Router settings")
    by_message = conversation(bob, "Evening", "", "how do I reset the router?")
    conversation(bob, "Nothing here", "", "hello")
    in_messages = search.matches(Message.objects.filter(conversation=OuterRef("pk")), "router", fields=["content"])
    found = list(
        search.search(Conversation.objects.order_by("id"), "router", fields=["title"], or_where=Exists(in_messages))
    )
    assert found == [by_title, by_message]


# --- Snippets -------------------------------------------------------------------------------


def test_snippets_mark_the_words_found(bob):
    chat = conversation(bob, "x", "", "To find big files on the NAS, open a terminal and run find.")
    found = search.snippets(Message.objects.filter(conversation=chat), "files", field="content", key="conversation_id")
    assert "find big <mark>files</mark> on the NAS" in found[chat.pk]


def test_snippets_show_markup_as_text_and_never_inject_it(bob):
    text = 'Never paste <script>alert("x")</script> from a script kiddie, nor <img src=x onerror=alert(1)>. Tom & Jerry'
    chat = conversation(bob, "x", "", text)
    for query in ("<script>", "script", "img onerror", "Tom & Jerry", "<mark>"):
        snippet = search.snippets(Message.objects.filter(conversation=chat), query, field="content")
        shown = next(iter(snippet.values()), "")
        assert "<script" not in shown and "<img" not in shown, (query, shown)
        assert shown.replace("<mark>", "").replace("</mark>", "").count("<") == 0, (query, shown)
    shown = next(iter(search.snippets(Message.objects.filter(conversation=chat), "kiddie", field="content").values()))
    assert "alert(&quot;x&quot;)&lt;/script&gt; from a script" in shown  # shown as the text it is
    assert "&lt;img src=x onerror=alert" in shown
    assert "<mark>kiddie</mark>" in shown


def test_text_that_holds_our_markers_cannot_open_a_mark(bob):
    chat = conversation(bob, "x", "", "before \x02 bold \x03 after, the word backup")
    shown = next(iter(search.snippets(Message.objects.filter(conversation=chat), "backup", field="content").values()))
    assert shown.count("<mark>") == shown.count("</mark>") == 1


def test_the_fallback_excerpt_cuts_around_the_first_word_and_escapes():
    text = "a" * 300 + " the <b>backup</b> & restore " + "z " * 200
    shown = search.excerpt(text, "backup", size=80)
    assert shown.startswith("… ") and shown.endswith(" …")
    assert "&lt;b&gt;<mark>backup</mark>&lt;/b&gt; &amp; restore" in shown
    assert len(shown) < 200
    assert search.excerpt("short text", "absent") == "short text"
    assert search.excerpt("", "x") == ""
    assert search.excerpt("Backup and BACKUP", "backup") == "<mark>Backup</mark> and <mark>BACKUP</mark>"


# --- The index ------------------------------------------------------------------------------


@postgres_only
def test_the_chat_search_uses_the_index_the_migration_made(bob):
    # Postgres uses an expression index only for the identical expression: the migration's
    # CreateSearchIndex and the query both come from search.document().
    in_messages = search.matches(Message.objects.order_by(), "router", fields=["content"])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = in_messages.explain()
    assert "chat_message_search" in plan


def test_the_index_exists_on_postgres_only(db):
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "chat_message")
    assert ("chat_message_search" in indexes) == (connection.vendor == "postgresql")


# --- Pages of results -----------------------------------------------------------------------


def test_the_paginator_brings_the_total_with_the_page_in_one_query(bob, django_assert_num_queries):
    for n in range(7):
        conversation(bob, f"Backup {n}")
    conversation(bob, "Other")
    found = search.search(Conversation.objects.order_by("id"), "backup", fields=["title"])
    with django_assert_num_queries(1):
        page = search.Paginator(found, 3).get_page("2")
        assert (page.paginator.count, page.paginator.num_pages, page.number) == (7, 3, 2)
        assert titles(page.object_list) == ["Backup 3", "Backup 4", "Backup 5"]
        assert page.has_next() and page.has_previous()
    last = search.Paginator(found, 3).get_page(3)
    assert titles(last.object_list) == ["Backup 6"] and not last.has_next()


def test_the_paginator_past_the_end_or_given_nonsense_behaves_like_djangos(bob):
    for n in range(4):
        conversation(bob, f"Backup {n}")
    found = search.search(Conversation.objects.order_by("id"), "backup", fields=["title"])
    assert search.Paginator(found, 3).get_page(99).number == 2
    assert search.Paginator(found, 3).get_page("x").number == 1
    assert search.Paginator(found, 3).get_page(-1).number == 1
    empty = search.Paginator(search.search(Conversation.objects.all(), "zebra", fields=["title"]), 3).get_page(1)
    assert (empty.paginator.count, empty.paginator.num_pages, list(empty.object_list)) == (0, 1, [])
