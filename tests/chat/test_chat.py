"""The chat through the ASGI server the README deploys: questions, streamed answers,
stop, cut-offs, fallback notices, failures in plain words, privacy and context trimming."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.roles import Role
from apps.chat import context, services
from apps.chat.models import Conversation, Message, Preset
from apps.core import markdown
from apps.gateway.models import AuditEntry
from apps.status.models import Host, Kind, Service, State
from tests.conftest import make_member
from tests.fixtures.ports import free_port
from tests.gateway.conftest import make_backend, make_route
from tests.gateway.conftest import policy as make_policy

pytestmark = pytest.mark.django_db(transaction=True)


def browser(gateway_url: str, user) -> httpx.Client:
    """An HTTP client signed in as `user`, with the CSRF cookie a page would have set."""
    django_client = Client()
    django_client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client = httpx.Client(base_url=gateway_url, timeout=20, headers={"Host": "127.0.0.1"})
    client.cookies.set("sessionid", django_client.cookies["sessionid"].value)
    token = client.get("/chat/").cookies["csrftoken"]
    client.cookies.delete("csrftoken")
    client.cookies.set("csrftoken", token)  # the server marks it Secure; this test talks plain HTTP
    client.headers["X-CSRFToken"] = token
    client.headers["X-Requested-With"] = "fetch"
    client.headers["Referer"] = gateway_url + "/chat/"
    return client


def events(client: httpx.Client, url: str, *, on_token=None) -> list[tuple[str, dict]]:
    seen = []
    with client.stream("GET", url) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                seen.append((name, json.loads(line[6:])))
                if name == "token" and on_token:
                    on_token(len([e for e in seen if e[0] == "token"]))
    return seen


def tokens(seen) -> str:
    return "".join(data["text"] for name, data in seen if name == "token")


def test_a_question_streams_its_answer_token_by_token(gateway_url, bob, assistant, llm):
    llm.token_delay = 0.05
    client = browser(gateway_url, bob)
    started = client.post("/chat/send/", data={"text": "Tell me about foxes", "alias": "assistant"}).json()
    before_the_end = []
    seen = events(
        client, started["stream"], on_token=lambda n: before_the_end.append(llm.endings == []) if n == 1 else None
    )
    assert before_the_end == [True]  # the first word arrived while the backend was still writing
    assert tokens(seen).startswith("Thequickbrown")
    assert seen[-1][0] == "done" and "Thequick" in seen[-1][1]["html"]
    chat = Conversation.objects.get(owner=bob)
    assert chat.title == "Tell me about foxes" and chat.alias == "assistant"
    question, answer = chat.messages.all()
    assert question.content == "Tell me about foxes" and answer.state == Message.State.DONE
    assert answer.content == tokens(seen) and answer.model == "llama3.1:8b"
    # The same answer is not generated twice when the stream is asked for again (a reload).
    again = events(client, started["stream"])
    assert again == [("done", {"event": "done", "html": answer.html, "state": "done"})]


def test_stop_keeps_what_arrived_and_cancels_the_backend(gateway_url, bob, assistant, llm):
    llm.token_delay = 0.2
    client = browser(gateway_url, bob)
    started = client.post("/chat/send/", data={"text": "Count slowly"}).json()
    stopped = []

    def stop_after_two(n: int) -> None:
        if n == 2 and not stopped:
            stopped.append(client.post(started["stop"]).status_code)

    seen = events(client, started["stream"], on_token=stop_after_two)
    assert stopped == [204]
    assert seen[-1][0] == "done" and seen[-1][1]["state"] == "stopped"
    answer = Message.objects.get(pk=started["answer_id"])
    assert answer.state == Message.State.STOPPED and answer.content == tokens(seen)
    assert len(tokens(seen).split("o")) >= 2 and len(seen) < 10
    deadline = time.monotonic() + 3
    while llm.endings != ["client left"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert llm.endings == ["client left"]


def test_a_cut_answer_is_kept_and_marked_then_tried_again(gateway_url, bob, assistant, llm):
    llm.cut_after = 3
    client = browser(gateway_url, bob)
    started = client.post("/chat/send/", data={"text": "hi"}).json()
    seen = events(client, started["stream"])
    assert tokens(seen) == "Thequickbrown" and seen[-1][1]["state"] == "cut"
    assert Message.objects.get(pk=started["answer_id"]).state == Message.State.CUT
    llm.cut_after = None
    again = client.post(f"/chat/{started['conversation']}/regenerate/").json()
    assert tokens(events(client, again["stream"])).startswith("Thequickbrownfox")
    chat = Conversation.objects.get(pk=started["conversation"])
    assert [m.state for m in services.thread(chat)] == ["done", "done"]
    # The cut answer is kept as the earlier version, one click away.
    assert list(chat.messages.values_list("state", flat=True)) == ["done", "cut", "done"]


def test_the_fallback_is_named_in_words(gateway_url, bob, macbook):
    studio_host = Host.objects.create(name="Studio")
    laptop = Host.objects.create(name="MacBook")
    watch = Service.objects.create(name="studio-ollama", label="Chat (Studio)", kind=Kind.OLLAMA, host=studio_host)
    studio = make_backend("studio", url=f"http://127.0.0.1:{free_port()}/v1", service=watch)
    fallback = make_backend(
        "macbook", macbook, service=Service.objects.create(name="mb", label="MB", kind=Kind.OLLAMA, host=laptop)
    )
    make_route("assistant", (studio, "llama3.1:8b"), (fallback, "llama3.2:3b"))
    client = browser(gateway_url, bob)
    started = client.post("/chat/send/", data={"text": "hi"}).json()
    seen = events(client, started["stream"])
    assert (
        "notice",
        {"event": "notice", "text": "Answered by llama3.2:3b on the MacBook: the Studio is not answering."},
    ) in seen
    assert Message.objects.get(pk=started["answer_id"]).notice.startswith("Answered by llama3.2:3b on the MacBook")


def test_every_target_down_says_since_when_and_gives_the_question_back(gateway_url, bob, llm):
    since = timezone.now() - timedelta(minutes=20)
    host = Host.objects.create(name="Studio")
    watch = Service.objects.create(
        name="studio-ollama", label="Chat", kind=Kind.OLLAMA, host=host, state=State.DOWN, state_since=since
    )
    make_route("assistant", (make_backend("studio", llm, service=watch), "llama3.1:8b"))
    client = browser(gateway_url, bob)
    started = client.post("/chat/send/", data={"text": "Are you there?"}).json()
    ((name, data),) = events(client, started["stream"])
    clock = timezone.localtime(since).strftime("%H:%M")
    assert name == "error" and data["text"] == f"The assistant is offline: the Studio has not answered since {clock}."
    assert data["question"] == "Are you there?" and data["status"] == 503
    assert not Conversation.objects.filter(pk=started["conversation"]).exists()  # nothing half-kept


def test_a_used_up_budget_says_when_it_resets(gateway_url, bob, assistant):
    make_policy(Role.FAMILY, daily_tokens=5)
    AuditEntry.objects.create(created=timezone.now(), member=bob, endpoint="chat", status=200, prompt_tokens=10)
    client = browser(gateway_url, bob)
    started = client.post("/chat/send/", data={"text": "hi"}).json()
    ((name, data),) = events(client, started["stream"])
    assert name == "error" and "budget of 5 tokens is used up" in data["text"] and "resets at midnight" in data["text"]


def test_without_javascript_the_page_comes_back_with_the_answer(bob, assistant, client):
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post("/chat/send/", {"text": "hello", "alias": "assistant"}, follow=True)
    assert response.status_code == 200
    assert b"Thequickbrownfox" in response.content  # the fake backend streams words without spaces
    chat = Conversation.objects.get(owner=bob)
    assert response.redirect_chain[-1][0] == f"/chat/{chat.pk}/"


def test_without_javascript_a_failure_keeps_the_question_in_the_box(bob, client):
    make_route("assistant", (make_backend("studio", url=f"http://127.0.0.1:{free_port()}/v1"), "m"))
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post("/chat/send/", {"text": "still there?"}, follow=True)
    assert b"The assistant is offline right now" in response.content
    assert b">still there?</textarea>" in response.content


def test_not_set_up_yet(bob, client):
    owner = make_member("alice", Role.OWNER)
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    assert b"The assistant is not set up yet.</strong> Ask the owner" in client.get("/chat/").content
    assert b"The assistant is not set up yet" in client.get("/").content
    client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    assert b"model gateway page</a>, then come back" in client.get("/chat/").content


def test_conversations_are_private_even_from_the_owner(bob, assistant, client):
    owner = make_member("alice", Role.OWNER)
    chat = Conversation.objects.create(owner=bob, title="Diary", alias="assistant")
    Message.objects.create(conversation=chat, role="user", content="my secret plan", html="<p>my secret plan</p>")
    client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    for url in (f"/chat/{chat.pk}/", f"/chat/{chat.pk}/export.md"):
        assert client.get(url).status_code == 404
    for url in (f"/chat/{chat.pk}/send/", f"/chat/{chat.pk}/delete/", f"/chat/{chat.pk}/rename/"):
        assert client.post(url, {"text": "x", "title": "mine"}).status_code == 404
    assert b"Diary" not in client.get("/chat/?q=secret").content
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    assert b"Diary" in client.get("/chat/?q=secret").content
    assert Conversation.objects.get(pk=chat.pk).title == "Diary"


def test_the_audit_log_holds_no_chat_content(gateway_url, bob, assistant):
    client = browser(gateway_url, bob)
    started = client.post("/chat/send/", data={"text": "my private question"}).json()
    events(client, started["stream"])
    from apps.gateway import audit

    audit.writer.flush()
    entry = AuditEntry.objects.get(endpoint="chat")
    assert entry.content is None and entry.member == bob and entry.api_key is None


def test_delete_can_be_undone_for_a_while(bob, client):
    chat = Conversation.objects.create(owner=bob, title="Keep me")
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(f"/chat/{chat.pk}/delete/", follow=True)
    assert b"Undo" in response.content and b"Keep me" not in response.content
    client.post(f"/chat/{chat.pk}/restore/")
    assert Conversation.objects.of(bob).filter(title="Keep me").exists()
    services.delete(chat)
    Conversation.objects.filter(pk=chat.pk).update(
        deleted_at=timezone.now() - timedelta(minutes=services.UNDO_MINUTES + 1)
    )
    assert b"gone for good" in client.post(f"/chat/{chat.pk}/restore/", follow=True).content
    assert services.purge_deleted() == 1


def test_export_as_markdown(bob, client):
    chat = Conversation.objects.create(owner=bob, title="Foxes", alias="assistant")
    Message.objects.create(conversation=chat, role="user", content="Why are foxes red?")
    Message.objects.create(conversation=chat, role="assistant", content="Partly **camouflage**.", state="stopped")
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(f"/chat/{chat.pk}/export.md")
    assert response["Content-Disposition"] == 'attachment; filename="foxes.md"'
    assert response.content.decode() == (
        "# Foxes\n\nModel: assistant\n\n## You\n\nWhy are foxes red?\n\n"
        "## Assistant (stopped)\n\nPartly **camouflage**.\n"
    )


@pytest.mark.parametrize(
    ("title", "disposition"),
    [
        ("Why are foxes red? (and owls)", 'attachment; filename="why-are-foxes-red-and-owls.md"'),
        ("Über Füchse", 'attachment; filename="uber-fuchse.md"'),
        ('"; rm -rf /', 'attachment; filename="rm-rf.md"'),  # nothing of a header's syntax gets through
        ("???", None),  # nothing left of the title: its number
    ],
)
def test_an_exported_chat_is_named_after_its_title(bob, client, title, disposition):
    chat = Conversation.objects.create(owner=bob, title=title, alias="assistant")
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    expected = disposition or f'attachment; filename="chat-{chat.pk}.md"'
    assert client.get(f"/chat/{chat.pk}/export.md")["Content-Disposition"] == expected


def test_a_locked_preset_is_sent_and_cannot_be_changed(gateway_url, bob, assistant, llm):
    Preset.objects.create(name="Homework helper", prompt="Explain step by step.", role=Role.FAMILY, locked=True)
    client = browser(gateway_url, bob)
    started = client.post("/chat/send/", data={"text": "2+2?"}).json()
    client.post(f"/chat/{started['conversation']}/settings/", data={"system_prompt": "Just answer."})
    events(client, started["stream"])
    assert llm.requests[-1]["body"]["messages"][0] == {"role": "system", "content": "Explain step by step."}
    assert Conversation.objects.get(pk=started["conversation"]).system_prompt == ""


def test_context_keeps_the_newest_messages_that_fit():
    history = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": "x" * 400} for i in range(50)
    ]  # 104 tokens each
    kept = context.window(history, budget=1000, system="Be brief.")
    assert kept[0] == {"role": "system", "content": "Be brief."}
    assert kept[1:] == history[-9:]  # 7 + 9 x 104 <= 1000 < 7 + 10 x 104
    assert context.window([{"role": "user", "content": "y" * 40_000}], budget=100) == [
        {"role": "user", "content": "y" * 40_000}
    ]


def test_long_conversations_send_only_what_fits(gateway_url, bob, llm):
    make_route("assistant", (make_backend("studio", llm), "llama3.1:8b"), context_tokens=2048, max_tokens=1024)
    chat = Conversation.objects.create(owner=bob, title="Long", alias="assistant")
    Message.objects.bulk_create(
        Message(conversation=chat, role="user" if i % 2 == 0 else "assistant", content=f"{i} " + "w" * 400)
        for i in range(100)
    )
    client = browser(gateway_url, bob)
    started = client.post(f"/chat/{chat.pk}/send/", data={"text": "and now?"}).json()
    events(client, started["stream"])
    sent = llm.requests[-1]["body"]["messages"]
    assert sent[-1] == {"role": "user", "content": "and now?"} and 5 <= len(sent) < 12


def test_example_conversations_are_for_the_example_owner_only(capsys):
    from django.core.management import call_command

    make_member("sam", Role.FAMILY)
    call_command("bootstrap", "--example", "--no-input")
    owners = set(Conversation.objects.values_list("owner__username", flat=True))
    assert owners == {"owner"} and Conversation.objects.count() == 2
    call_command("bootstrap", "--example", "--no-input")
    assert Conversation.objects.count() == 2


def test_hostile_text_is_shown_as_text_and_long_questions_are_refused(bob, assistant, client):
    assert markdown.render("[" * 20_000).startswith("<p>[[[")  # instant, not 96 s of Markdown
    assert "<strong>" in markdown.render("**bold**")
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post("/chat/send/", {"text": "x" * 16_001}, follow=True)
    assert b"a question can be at most 16,000" in response.content
    assert not Message.objects.exists()


@pytest.mark.parametrize("script", [True, False], ids=["chat script", "no JavaScript"])
def test_a_paste_larger_than_any_form_takes_is_answered_in_words(bob, assistant, client, script):
    """3 MB is refused before the view reads it (DATA_UPLOAD_MAX_MEMORY_SIZE): it said "The portal
    did not answer. Is it running?" to the chat script, and gave a bare 400 page without it."""
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    headers = {"X-Requested-With": "fetch"} if script else {}
    response = client.post("/chat/send/", {"text": "x" * 3_000_000}, headers=headers)
    assert response.status_code == 400
    words = response.json()["error"] if script else response.content.decode()
    assert "That was more than the portal takes at once (2.6 MB)" in words
    assert "shorten it and send it again" in words
    assert not Message.objects.exists()


def test_the_chat_says_plainly_when_content_logging_is_on(bob, assistant, client):
    from apps.gateway import services as gateway_services

    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    notice = b"The owner has turned on content logging"
    assert notice not in client.get("/chat/").content
    gateway_services.gateway_settings_log_content(on=True, by=make_member("alice", Role.OWNER))
    assert notice in client.get("/chat/").content
    chat = Conversation.objects.create(owner=bob, title="x")
    assert notice in client.get(f"/chat/{chat.pk}/").content


def test_with_redis_down_the_chat_still_answers(gateway_url, bob, assistant, settings):
    settings.CACHES = {
        "default": {"BACKEND": "homeops.cache.ResilientRedisCache", "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}
    }
    client = browser(gateway_url, bob)
    started = client.post("/chat/send/", data={"text": "hi"}).json()
    seen = events(client, started["stream"])
    assert tokens(seen).startswith("Thequick") and seen[-1][1]["state"] == "done"


def test_the_home_page_line_starts_with_whether_the_assistant_answers(bob, client):
    def watched(name: str, state: str) -> Service:
        return Service.objects.create(name=name, label=name, kind=Kind.OLLAMA, state=state)

    studio = make_backend("Studio", url="http://studio.invalid:11434", kind="ollama", service=watched("s", State.UP))
    macbook = make_backend("MacBook", url="http://mb.invalid:11434", kind="ollama", service=watched("m", State.DOWN))
    make_route("assistant", (macbook, "llama3.2:3b"), (studio, "llama3.1:8b"))  # the MacBook sleeps: fallback
    make_route("code", (macbook, "qwen2.5-coder"))
    signed_in = client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend") or client

    def line() -> str:
        html = signed_in.get("/").content.decode()
        return html.split('role="status">')[1].split("</p>")[0]

    assert line().startswith("The assistant answers; code waits for a machine that is down.")
    Service.objects.filter(name="m").update(state=State.UP)
    assert line().startswith("The assistant answers.")
    Service.objects.update(state=State.UNREACHABLE)
    assert line().startswith("The assistant cannot answer now: MacBook and Studio are down.")
