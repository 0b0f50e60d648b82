"""The quarterly audit: a typed completion of an audit task. Its items (ITEMS) are checked
pass, fail or not applicable, with notes and, for the restore exercise and the off-site copy,
the details that make it evidence. A failed item stays on the owner's dashboard until someone
resolves it with a note.

Writes: audit_complete (one completion through services.task_complete, which also keeps the
evidence files, and its items, in one transaction) and audit_item_resolve.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from apps.maintenance import services
from apps.maintenance.models import AuditItem, Completion, MaintenanceTask, TaskKind

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Section = AuditItem.Section
Result = AuditItem.Result


@dataclass(frozen=True)
class Detail:
    key: str  # in AuditItem.details, and the form's field name (AuditItem.DETAILS: kind, label)
    help: str = ""


@dataclass(frozen=True)
class Item:
    key: str  # the form's prefix
    section: str
    label: str  # stored as AuditItem.item
    help: str
    details: tuple[Detail, ...] = ()


BILLS_WORDS = (
    "Walk every recurring bill in the ledger's bill review (keep, cancel or a new price); "
    "it records the new baseline that cost creep is measured against."
)


@dataclass(frozen=True)
class BillsPointer:
    """What the bill item shows about the ledger's bill review: this quarter's latest, in words,
    and the way to do one."""

    text: str
    url: str
    label: str
    history_url: str = ""


# The ledger registers its provider at start-up (apps/ledger/apps.py), so maintenance imports
# no ledger code: the audit works, with the words above, without the ledger app.
_bills_pointer: Callable[[date], BillsPointer] | None = None


def register_bills_pointer(provider: Callable[[date], BillsPointer]) -> None:
    global _bills_pointer
    _bills_pointer = provider


def bills_pointer(today: date) -> BillsPointer | None:
    return _bills_pointer(today) if _bills_pointer else None


ITEMS: tuple[Item, ...] = (
    Item(
        "restore",
        Section.RESTORE,
        "Restore exercise",
        "Restore a real snapshot somewhere harmless and open what came back.",
        (
            Detail("snapshot", "Its name or date, as the NAS shows it."),
            Detail("restored_to", "A spare folder, another machine…"),
            Detail("verified", "“Opened three photos and the password vault.”"),
            Detail("minutes"),
        ),
    ),
    Item(
        "offsite",
        Section.OFFSITE,
        "Off-site copy is current",
        "The copy away from home is recent enough to lose no more than you can accept.",
        (Detail("last_copy"),),
    ),
    Item("ports", Section.SECURITY, "Open ports reviewed", "The router forwards only what it should."),
    Item("accounts", Section.SECURITY, "Accounts reviewed", "No old accounts or keys left on the NAS, router, portal."),
    Item("updates", Section.SECURITY, "Updates applied", "The NAS, router and Macs run current security updates."),
    Item("bills", Section.BILLS, "Bills reviewed", BILLS_WORDS),
)
SECTION_ITEMS: dict[str, list[Item]] = {}
for _item in ITEMS:
    SECTION_ITEMS.setdefault(_item.section, []).append(_item)


# --- writes ------------------------------------------------------------------------------------


def audit_complete(
    task: MaintenanceTask,
    *,
    by: User,
    items: Sequence[dict[str, Any]],
    minutes: int | None = None,
    notes: str = "",
    completed: datetime | None = None,
    files: Sequence[UploadedFile] = (),
) -> Completion:
    """Record an audit: each item a dict of section, item, result, notes and details. The
    completion's outcome is "found a problem" when any item failed. Nothing is written unless
    every item and every file is acceptable."""
    if task.kind != TaskKind.AUDIT:
        raise ValidationError(f"“{task.title}” is not an audit task.", code="kind")
    if not items:
        raise ValidationError("An audit needs at least one checked item.", code="empty")
    rows, errors = [], []
    for values in items:
        row = AuditItem(
            section=values["section"],
            item=values["item"],
            result=values["result"],
            notes=values.get("notes", ""),
            details=values.get("details") or {},
        )
        try:
            row.full_clean(exclude=["completion", "resolved_by"])  # both set later
        except ValidationError as error:
            errors.append(ValidationError(f"{row.item}: {'; '.join(error.messages)}"))
        rows.append(row)
    if errors:
        raise ValidationError(errors)
    failed = any(row.result == Result.FAIL for row in rows)
    with transaction.atomic():
        completion = services.task_complete(
            task,
            by=by,
            completed=completed,
            minutes=minutes,
            outcome=Completion.Outcome.PROBLEM if failed else Completion.Outcome.DONE,
            notes=notes,
            files=files,  # checked by content and size before anything is written
        )
        for row in rows:
            row.completion = completion
        AuditItem.objects.bulk_create(rows)
    return completion


def audit_item_resolve(item: AuditItem, *, by: User, note: str) -> AuditItem:
    """Mark a failed item resolved with what was done. The conditional update makes a second
    click (or a second tab) harmless: it changes nothing and says so."""
    note = note.strip()
    if not note:
        raise ValidationError("Say what was done about it, so the next audit can check it.", code="note")
    limit = 4000
    if len(note) > limit:
        raise ValidationError(f"Write at most {limit} characters.", code="note")
    changed = AuditItem.objects.filter(pk=item.pk, result=Result.FAIL, resolved=None).update(
        resolved=timezone.now(), resolved_by=by, resolution=note
    )
    item.refresh_from_db()
    if not changed:
        raise ValidationError("This item is not an open failure any more (it was resolved already).", code="done")
    return item


# --- reads -------------------------------------------------------------------------------------


def open_failures() -> QuerySet[AuditItem]:
    """Failed items nobody has resolved yet, the oldest first (the maintenance_audit_open index)."""
    return (
        AuditItem.objects.filter(result=Result.FAIL, resolved=None)
        .select_related("completion__task")
        .order_by("completion__completed", "id")
    )


HISTORY_LIMIT = 40  # ten years of quarterly audits


def history() -> QuerySet[Completion]:
    """Audits, the newest first, with their items, files and pass/fail counts."""
    # Items in the order the form asks them (audit_complete writes them so), not by section.
    items = AuditItem.objects.select_related("resolved_by").order_by("id")
    return (
        Completion.objects.filter(task__kind=TaskKind.AUDIT)
        .select_related("task", "by")
        .prefetch_related(Prefetch("audit_items", queryset=items), "files")
        .annotate(
            passed=Count("audit_items", filter=Q(audit_items__result=Result.PASS)),
            failed=Count("audit_items", filter=Q(audit_items__result=Result.FAIL)),
            not_applicable=Count("audit_items", filter=Q(audit_items__result=Result.NA)),
        )
        .order_by("-completed", "-id")[:HISTORY_LIMIT]
    )


def audit_tasks() -> QuerySet[MaintenanceTask]:
    return MaintenanceTask.objects.filter(kind=TaskKind.AUDIT).order_by("next_due", "title")
