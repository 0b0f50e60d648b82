"""Two example conversations for the example household's owner (and nobody else)."""

from __future__ import annotations

from apps.chat import services
from apps.chat.models import Conversation, Message
from apps.core import markdown

EXAMPLES = [
    (
        "Backing up the NAS before the DSM update",
        "assistant",
        [
            ("user", "What should I do before updating DSM on the NAS?"),
            (
                "assistant",
                "Three things, in this order:\n\n1. **Check last night's backup** on the status board "
                '("Off-site backup" should say *up*).\n2. **Take a snapshot** of the shared folders in '
                "Snapshot Replication.\n3. **Read the release notes** for packages that stop working.\n\n"
                "Then update, and check Forgejo, n8n and Grafana on the board afterwards.",
            ),
        ],
    ),
    (
        "A shell one-liner for big files",
        "quick",
        [
            ("user", "How do I list the ten biggest files under /volume1/photos?"),
            (
                "assistant",
                "```sh\nfind /volume1/photos -type f -printf '%s %p\\n' | sort -nr | head -n 10\n```\n\n"
                "Sizes are in bytes; pipe through `numfmt --field=1 --to=iec` for readable ones.",
            ),
        ],
    ),
]


def create_for(owner) -> int:
    """Idempotent: an example conversation that exists (by title) is left alone."""
    made = 0
    for title, alias, turns in EXAMPLES:
        if Conversation.objects.filter(owner=owner, title=title).exists():
            continue
        chat = Conversation.objects.create(owner=owner, title=title, alias=alias)
        Message.objects.bulk_create(
            Message(conversation=chat, role=role, content=text, html=markdown.render(text)) for role, text in turns
        )
        services.linked(chat)  # one after another
        made += 1
    return made
