"""Runbook tests: Alice owns the house and writes the runbooks; Bob is family; Charlie is
the friend looking after it (caretaker)."""

from __future__ import annotations

import pytest

from apps.runbooks import services
from apps.runbooks.models import Audience, Revision, Runbook

# A runbook with steps, as the run-through and attachment tests follow it.
BODY = """\
# Restart Ollama

When the chat says the assistant is offline.

- [ ] Check that the **Studio** is on
- [ ] Open Terminal on the Studio
  ```sh
  launchctl kickstart -k gui/501/com.ollama.ollama
  ```
- [ ] Ask the chat something short
"""


def make_runbook(slug: str = "restart-ollama", *, author=None, audience: str = Audience.HOUSEHOLD, **fields) -> Runbook:
    fields.setdefault("title", slug.replace("-", " ").capitalize())
    fields.setdefault("body", "- [ ] Open the Studio\n- [ ] Restart Ollama\n")
    return services.runbook_save(Runbook(slug=slug, audience=audience, **fields), author=author, note="first")


def steps_runbook(slug: str = "restart-ollama", body: str = BODY, audience: str = Audience.CARETAKER, **fields):
    """A caretaker's runbook with three steps (the run-through tests' default)."""
    return make_runbook(slug, audience=audience, body=body, **fields)


def add_revision(runbook: Runbook, body: str, title: str | None = None, author=None) -> Revision:
    runbook.body, runbook.title = body, title or runbook.title
    services.runbook_save(runbook, author=author)
    return runbook.revisions.order_by("-number").first()


@pytest.fixture
def runbook(alice):
    return make_runbook(author=alice)
