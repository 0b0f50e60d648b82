"""Chat pages with a long history: a member with 1,000 conversations of 200 messages each.

Measures, in-process through Django's full middleware stack (test client, signed in),
the server time and the number of SQL queries of: the conversation list (first page and a
deep page), three searches (a word in every message, words of one conversation, a word in
none: full-text search must be fast for the broad and the narrow), and one conversation's
page (200 messages). The same pages for a
member with 10 conversations of 10 messages show whether the query count stays constant.
Target: p95 under 100 ms, and a constant number of queries per page whatever the history.

Usage: .venv/bin/python bench/chat.py [--samples 50]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_DB", "homeops_bench_chat")
from _common import machine, setup_django, tree_state  # noqa: E402

CONVERSATIONS, MESSAGES = 1000, 200
ANSWER = (
    "Here is how to do it:\n\n1. Open **Snapshot Replication**.\n2. Pick the shared folder.\n\n"
    "```sh\nfind /volume1/photos -type f -size +100M -print\n```\n\nThat lists the big files. " * 3
)


def seed(username: str, conversations: int, messages: int) -> object:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from apps.accounts.roles import Role
    from apps.accounts.services import groups_ensure, member_save
    from apps.chat import services
    from apps.chat.models import Conversation, Message
    from apps.core import markdown

    groups_ensure()
    user = get_user_model().objects.filter(username=username).first()
    if user and Conversation.objects.filter(owner=user).count() == conversations:
        return user  # already seeded by an earlier run
    if user:
        Conversation.objects.filter(owner=user).delete()
    else:
        user = member_save(username=username, role=Role.FAMILY, password="x" * 20)
    answer_html = markdown.render(ANSWER)
    started = time.perf_counter()
    for start in range(0, conversations, 50):
        chats = Conversation.objects.bulk_create(
            Conversation(owner=user, title=f"Conversation {n} about the NAS", alias="assistant")
            for n in range(start, min(conversations, start + 50))
        )
        rows = []
        for chat in chats:
            for i in range(messages):
                if i % 2 == 0:
                    text = f"Question {i} in {chat.title}: how do I find big files?"
                    rows.append(Message(conversation=chat, role="user", content=text, html=f"<p>{text}</p>"))
                else:
                    rows.append(Message(conversation=chat, role="assistant", content=ANSWER, html=answer_html))
        Message.objects.bulk_create(rows, batch_size=5000)
        for chat in chats:  # one thread of 200, as asking would have made it (Message.parent)
            services.linked(chat)
    with connection.cursor() as cursor:
        # What autovacuum does on a real server soon after such a load (this one may run
        # without autovacuum): the planner needs statistics to tell a common word from a rare one.
        cursor.execute("ANALYZE chat_conversation, chat_message")
    print(
        f"[seed] {username}: {conversations} x {messages} messages in {time.perf_counter() - started:.0f} s", flush=True
    )
    return user


def measure(client, url: str, samples: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries, size = [], 0, 0
    for _ in range(samples):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries, size = len(captured), len(response.content)
    return sorted(times), queries, size


def pct(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    setup_django(ALLOWED_HOSTS="testserver,127.0.0.1")
    from django.conf import settings
    from django.test import Client

    from apps.chat.models import Conversation

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    print(f"[bench] {machine()}; {tree_state()}")
    big = seed("bench-long", CONVERSATIONS, MESSAGES)
    small = seed("bench-short", 10, 10)
    rng = random.Random(7)
    print("\n| member | page | p50 | p95 | queries | HTML |")
    print("| --- | --- | --- | --- | --- | --- |")
    for user, label in ((big, "1,000 x 200"), (small, "10 x 10")):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        ids = list(Conversation.objects.filter(owner=user).values_list("pk", flat=True))
        pages = {
            "conversation list, page 1": "/chat/",
            "conversation list, last page": f"/chat/?page={max(1, len(ids) // 30)}",
            "search, a word in every message": "/chat/?q=big+files",
            "search, one conversation's words": "/chat/?q=conversation+7",
            "search, no match": "/chat/?q=zebra",
            "one conversation": f"/chat/{rng.choice(ids)}/",
        }
        client.get("/chat/")  # warm up
        for name, url in pages.items():
            times, queries, size = measure(client, url, args.samples)
            print(
                f"| {label} | {name} | {pct(times, 0.5):.1f} ms | {pct(times, 0.95):.1f} ms | {queries} | {size / 1024:.0f} kB |",
                flush=True,
            )


if __name__ == "__main__":
    main()
