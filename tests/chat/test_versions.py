"""Versions: regenerating keeps the earlier answer, editing any question keeps the answers
after it, and both can be paged through; the model is told only the thread it answers."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from apps.accounts.roles import Role
from apps.chat import services
from apps.chat.models import Conversation, Message
from tests.chat.test_chat import browser, events, tokens
from tests.conftest import make_member

pytestmark = pytest.mark.django_db(transaction=True)
FIRST = "Thequickbrownfoxjumpsoverthelazydogandkeepsrunningfaraway"  # the fake backend's words


def ask(client, url: str, text: str) -> dict:
    started = client.post(url, data={"text": text}).json()
    events(client, started["stream"])
    return started


def page(client, chat_id: int) -> str:
    return client.get(f"/chat/{chat_id}/").text


def shown(html: str) -> list[str]:
    """The message bodies the page shows, in order, as text."""
    bodies = re.findall(r'<div class="msg-body">(.*?)</div>\s*(?:<p class="msg-state"|<details|</article>)', html, re.S)
    return [re.sub(r"<[^>]+>", "", body).strip() for body in bodies]


def test_regenerate_keeps_the_earlier_answer_as_a_version(gateway_url, bob, assistant, llm):
    client = browser(gateway_url, bob)
    first = ask(client, "/chat/send/", "Tell me a fact")
    chat_id = first["conversation"]
    llm.words = ["Foxes", " sleep", " in", " dens."]
    again = client.post(f"/chat/{chat_id}/regenerate/").json()
    assert "1 / 2" not in again["answer_versions"] and "2 / 2" in again["answer_versions"]
    assert tokens(events(client, again["stream"])) == "Foxes sleep in dens."
    # The new answer was asked for with the question alone: the old answer is not its history.
    assert llm.requests[-1]["body"]["messages"] == [{"role": "user", "content": "Tell me a fact"}]

    html = page(client, chat_id)
    assert shown(html) == ["Tell me a fact", "Foxes sleep in dens."]
    assert 'aria-label="version 2 of 2"' in html and "Earlier version" in html
    # Page back: the first answer, whole, and a way forward again.
    response = client.post(f"/chat/{chat_id}/versions/{first['answer_id']}/", follow_redirects=True)
    assert shown(response.text) == ["Tell me a fact", FIRST]
    assert 'aria-label="version 1 of 2"' in response.text and "Later version" in response.text
    assert Message.objects.filter(conversation_id=chat_id, role="assistant").count() == 2


def test_editing_an_earlier_question_keeps_the_answers_after_it(gateway_url, bob, assistant, llm):
    client = browser(gateway_url, bob)
    first = ask(client, "/chat/send/", "Name a bird")
    chat_id = first["conversation"]
    second = ask(client, f"/chat/{chat_id}/send/", "And a fish?")
    question = Message.objects.get(conversation_id=chat_id, content="Name a bird")

    llm.words = ["A", " robin."]
    edited = client.post(f"/chat/{chat_id}/edit/", data={"text": "Name a small bird", "question": question.pk}).json()
    assert 'aria-label="version 2 of 2"' in edited["question_article"]  # the page's own drawing
    assert "Name a small bird" in edited["question_article"] and "Ask again" in edited["question_article"]
    assert tokens(events(client, edited["stream"])) == "A robin."
    assert llm.requests[-1]["body"]["messages"] == [{"role": "user", "content": "Name a small bird"}]
    assert shown(page(client, chat_id)) == ["Name a small bird", "A robin."]

    # The earlier version of the first question brings back everything that followed it.
    client.post(f"/chat/{chat_id}/versions/{question.pk}/")
    assert shown(page(client, chat_id)) == [
        "Name a bird",
        FIRST,
        "And a fish?",
        FIRST,
    ]
    assert Message.objects.filter(conversation_id=chat_id).count() == 6
    export = client.get(f"/chat/{chat_id}/export.md").text
    assert "And a fish?" in export and "Name a small bird" not in export  # what is shown is exported
    assert second["answer_id"] == Conversation.objects.get(pk=chat_id).current_id


def test_a_failed_edit_returns_to_the_version_shown_before(gateway_url, bob, assistant, llm):
    client = browser(gateway_url, bob)
    first = ask(client, "/chat/send/", "Name a bird")
    chat_id = first["conversation"]
    question = Message.objects.get(conversation_id=chat_id, role="user")
    llm.fail_status = 503
    edited = client.post(f"/chat/{chat_id}/edit/", data={"text": "Name a fish", "question": question.pk}).json()
    ((name, data),) = events(client, edited["stream"])
    assert name == "error" and data["question"] == "Name a fish"
    assert Conversation.objects.get(pk=chat_id).current_id == first["answer_id"]
    assert shown(page(client, chat_id)) == ["Name a bird", FIRST]
    assert Message.objects.filter(conversation_id=chat_id).count() == 2  # the failed try left nothing


def test_without_javascript_edit_and_versions_are_plain_forms(bob, assistant, client):
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    client.post("/chat/send/", {"text": "Name a bird", "alias": "assistant"})
    chat = Conversation.objects.get(owner=bob)
    question = chat.messages.get(role="user")
    response = client.post(f"/chat/{chat.pk}/edit/", {"text": "Name a fish", "question": question.pk}, follow=True)
    assert shown(response.content.decode()) == ["Name a fish", FIRST]
    html = response.content.decode()
    assert f'action="/chat/{chat.pk}/versions/{question.pk}/"' in html  # "‹" is a form that posts
    response = client.post(f"/chat/{chat.pk}/versions/{question.pk}/", follow=True)
    assert response.redirect_chain[-1][0].endswith(f"#m{question.pk}")
    assert shown(response.content.decode())[0] == "Name a bird"
    too_long = client.post(f"/chat/{chat.pk}/edit/", {"text": "x" * 20_000, "question": question.pk}, follow=True)
    assert "a question can be at most 16,000" in too_long.content.decode()


def test_versions_are_private(bob, assistant, client):
    other = make_member("dora", Role.FAMILY)
    theirs = Conversation.objects.create(owner=other, title="Theirs", alias="assistant")
    message = Message.objects.create(conversation=theirs, role="user", content="x", html="x")
    mine = Conversation.objects.create(owner=bob, title="Mine", alias="assistant")
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(f"/chat/{theirs.pk}/versions/{message.pk}/").status_code == 404
    assert client.post(f"/chat/{mine.pk}/versions/{message.pk}/").status_code == 404  # not this chat's
    assert client.post(f"/chat/{mine.pk}/edit/", {"text": "y", "question": message.pk}).status_code == 302
    assert Message.objects.filter(conversation=mine).count() == 0


def test_messages_written_in_a_row_are_a_thread_once_asked_again(bob):
    """Example data and bulk imports write messages without parents; they read in order and
    the next question links them."""
    chat = Conversation.objects.create(owner=bob, title="Old", alias="")
    Message.objects.bulk_create(
        Message(conversation=chat, role="user" if i % 2 == 0 else "assistant", content=str(i), html=str(i))
        for i in range(6)
    )
    assert [m.content for m in services.thread(chat)] == ["0", "1", "2", "3", "4", "5"]
    question, answer = services.ask(chat, "6")
    chain = [m.content for m in services.thread(Conversation.objects.get(pk=chat.pk))]
    assert chain == ["0", "1", "2", "3", "4", "5", "6", ""]
    assert question.parent.content == "5" and answer.parent_id == question.pk


def test_the_home_page_box_shows_the_thread_without_controls(gateway_url, bob, assistant, llm):
    client = browser(gateway_url, bob)
    first = ask(client, "/chat/send/", "Name a bird")
    client.post(f"/chat/{first['conversation']}/regenerate/")
    dashboard = Client()
    dashboard.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    session = dashboard.session
    session[services.DASHBOARD_CHAT] = first["conversation"]
    session.save()
    html = dashboard.get("/").content.decode()
    assert "Name a bird" in html and "data-chat-versions" not in html and "Ask again" not in html
