"""Runbooks with their revisions, made with the ORM as runbook_save will make them (numbered
per runbook from 1; Runbook.revision is the newest number)."""

from __future__ import annotations

from apps.runbooks.models import Audience, Revision, Runbook

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


def make_runbook(slug: str = "restart-ollama", body: str = BODY, audience: str = Audience.CARETAKER, **fields):
    title = fields.pop("title", slug.replace("-", " ").capitalize())
    runbook = Runbook.objects.create(slug=slug, title=title, body=body, audience=audience, **fields)
    add_revision(runbook, body)
    return runbook


def add_revision(runbook: Runbook, body: str, title: str | None = None, author=None) -> Revision:
    number = runbook.revision + 1
    revision = Revision.objects.create(
        runbook=runbook, number=number, title=title or runbook.title, body=body, author=author
    )
    Runbook.objects.filter(pk=runbook.pk).update(body=body, revision=number)
    runbook.refresh_from_db()
    return revision
