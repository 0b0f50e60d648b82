"""Writes for runbooks: save (with its revision), restore, mark reviewed, delete.

The page, the configuration file and the example data all save through `runbook_save`, which
judges the runbook by its model's rules, refuses to overwrite a newer revision than the one
an edit started from, warns about secret-shaped lines, and appends a Revision when the title
or body changed (an unchanged one makes none).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.runbooks import secrets
from apps.runbooks.models import Revision, Runbook
from apps.status.models import Host, Service

if TYPE_CHECKING:
    from django.contrib.auth.models import User


NOTE_LENGTH = 200  # Revision.note's max_length: a restore's or an import's note never fails a save


class EditConflict(Exception):
    """Someone saved the runbook after this edit began: nothing was written."""

    def __init__(self, current: Revision | None) -> None:
        super().__init__("The runbook changed since this edit began.")
        self.current = current


class SecretShaped(Exception):
    """The body has lines that look like secrets and the owner has not said to keep them."""

    def __init__(self, findings: list[secrets.Finding]) -> None:
        super().__init__("; ".join(map(str, findings)))
        self.findings = findings


def runbook_save(
    runbook: Runbook,
    fields: list[str] | None = None,
    *,
    author: User | None = None,
    source: str = Revision.Source.PAGE,
    note: str = "",
    base_revision: int | None = None,
    keep_secrets: bool = False,
    hosts: Iterable[Host] | None = None,
    services: Iterable[Service] | None = None,
) -> Runbook:
    """Validate and save `runbook`; a new Revision when its title or body changed.

    `base_revision`: the revision number the edit started from; if the runbook has moved on
    since, EditConflict and nothing is written. `keep_secrets`: the owner saw the warning and
    keeps the lines (sets secret_override); otherwise secret-shaped lines raise SecretShaped.
    `fields` are the changed fields as config.upsert passes them (None: all); `hosts` and
    `services` replace the links when given."""
    # Browsers send CRLF from a textarea, files have LF: one form, so "unchanged" means unchanged.
    runbook.body = runbook.body.replace("\r\n", "\n").replace("\r", "\n")
    runbook.full_clean()
    findings = secrets.find(runbook.body)
    if findings and not keep_secrets:
        raise SecretShaped(findings)
    runbook.secret_override = bool(findings)
    with transaction.atomic():
        stored = Runbook.objects.select_for_update().filter(pk=runbook.pk).first() if runbook.pk else None
        if stored is not None and base_revision is not None and stored.revision != base_revision:
            raise EditConflict(stored.revisions.filter(number=stored.revision).first())
        changed = stored is None or (stored.title, stored.body) != (runbook.title, runbook.body)
        if stored is not None:
            runbook.revision = stored.revision  # never from the form: the row's own count
        if changed:
            runbook.revision += 1
        update = None if fields is None else sorted({*fields, "revision", "secret_override", "updated"})
        runbook.save(update_fields=update)
        if changed:
            Revision.objects.create(
                runbook=runbook,
                number=runbook.revision,
                title=runbook.title,
                body=runbook.body,
                author=author,
                source=source,
                note=note[:NOTE_LENGTH],
            )
        if hosts is not None:
            runbook.hosts.set(hosts)
        if services is not None:
            runbook.services.set(services)
    return runbook


def runbook_restore(runbook: Runbook, *, revision: Revision, author: User | None) -> Runbook:
    """An old revision's title and body become the newest revision (source: restore); the
    history keeps everything in between."""
    if revision.runbook_id != runbook.pk:
        raise ValidationError("That revision belongs to another runbook.")
    runbook.title, runbook.body = revision.title, revision.body
    return runbook_save(
        runbook,
        author=author,
        source=Revision.Source.RESTORE,
        note=f"Restored revision {revision.number}",
        keep_secrets=True,  # it was kept once; the page shows the override again
    )


def runbook_mark_reviewed(runbook: Runbook, *, when: datetime | None = None) -> Runbook:
    runbook.last_reviewed = when or timezone.now()
    runbook.save(update_fields=["last_reviewed", "updated"])
    return runbook


def runbook_delete(runbook: Runbook) -> None:
    """Its revisions, runs and attachments go with it. Runs first: a run protects the revision
    it was pinned to (on_delete=PROTECT), which stops a revision vanishing under a run alone."""
    with transaction.atomic():
        runbook.runs.all().delete()
        runbook.delete()
