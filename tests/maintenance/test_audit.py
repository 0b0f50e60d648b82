"""The quarterly audit: a typed completion with items, evidence files and failures that stay on
the owner's home page until resolved."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.maintenance import audit, services
from apps.maintenance.models import AuditItem, Cadence, Category, Completion, CompletionFile, MaintenanceTask, TaskKind
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def audit_task(db) -> MaintenanceTask:
    return services.task_save(
        MaintenanceTask(
            title="Quarterly audit",
            kind=TaskKind.AUDIT,
            category=Category.SECURITY,
            cadence=Cadence.QUARTERLY,
            starts=date(2026, 1, 10),
            estimate_minutes=240,
        )
    )


def items(**results: str) -> list[dict]:
    """Every item of the audit passing, except those given (key=result)."""
    rows = []
    for spec in audit.ITEMS:
        result = results.get(spec.key, "pass")
        details = {}
        if spec.key == "restore":
            details = {"snapshot": "2026-11-30 03:00", "restored_to": "/volume1/restore-test", "verified": "3 photos"}
        if spec.key == "offsite":
            details = {"last_copy": "2026-12-01"}
        notes = "The copy stopped on 12 November." if result == "fail" else ""
        rows.append({"section": spec.section, "item": spec.label, "result": result, "notes": notes, "details": details})
    return rows


def test_an_audit_completes_the_task_and_keeps_its_items(audit_task, alice):
    due = audit_task.next_due
    completion = audit.audit_complete(audit_task, by=alice, items=items(bills="na"), minutes=200)
    audit_task.refresh_from_db()
    assert audit_task.next_due > due  # task_complete moved it on
    assert (completion.outcome, completion.minutes, completion.by) == (Completion.Outcome.DONE, 200, alice)
    assert completion.audit_items.count() == len(audit.ITEMS)
    restore = completion.audit_items.get(section="restore")
    assert restore.detail_list()[:2] == [
        ("Which snapshot", "2026-11-30 03:00"),
        ("Restored where", "/volume1/restore-test"),
    ]
    listed = audit.history()[0]
    assert (listed.passed, listed.failed, listed.not_applicable) == (len(audit.ITEMS) - 1, 0, 1)


def test_a_failed_item_makes_the_completion_a_problem_and_stays_open_until_resolved(audit_task, alice):
    completion = audit.audit_complete(audit_task, by=alice, items=items(offsite="fail"))
    assert completion.outcome == Completion.Outcome.PROBLEM
    [failed] = audit.open_failures()
    assert failed.item == "Off-site copy is current"

    with pytest.raises(ValidationError, match="Say what was done"):
        audit.audit_item_resolve(failed, by=alice, note="  ")
    audit.audit_item_resolve(failed, by=alice, note="Replaced the USB disk; the copy ran.")
    assert list(audit.open_failures()) == []
    failed.refresh_from_db()
    assert (failed.resolved_by, failed.resolution) == (alice, "Replaced the USB disk; the copy ran.")
    with pytest.raises(ValidationError, match="resolved already"):
        audit.audit_item_resolve(failed, by=alice, note="again")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"result": "fail", "notes": ""}, "Say what failed"),
        ({"details": {"restored_to": "spare disk"}}, "A restore that passed says which snapshot was restored"),
        ({"details": {"snapshot": "x", "verified": "y", "minutes": 5000}}, "whole number from 0 to 1440"),
        ({"details": {"snapshot": "x", "verified": "y", "colour": "red"}}, "Unknown details for this section: colour"),
    ],
)
def test_an_item_that_breaks_a_rule_writes_nothing(audit_task, alice, change, words):
    rows = items()
    rows[0] = {**rows[0], **change}  # the restore exercise
    with pytest.raises(ValidationError, match=words):
        audit.audit_complete(audit_task, by=alice, items=rows)
    assert not Completion.objects.exists() and not AuditItem.objects.exists()


def test_an_off_site_check_that_passed_gives_a_real_date(audit_task, alice):
    rows = items()
    rows[1] = {**rows[1], "details": {"last_copy": "last Tuesday"}}
    with pytest.raises(ValidationError, match="Give a date like 2026-11-30"):
        audit.audit_complete(audit_task, by=alice, items=rows)


def test_only_an_audit_task_takes_an_audit(alice):
    weekly = services.task_save(MaintenanceTask(title="Weekly look", cadence=Cadence.WEEKLY, starts=date(2026, 1, 5)))
    with pytest.raises(ValidationError, match="is not an audit task"):
        audit.audit_complete(weekly, by=alice, items=items())


# --- evidence (kept by services.task_complete) ---------------------------------------------------


def test_evidence_is_kept_under_a_generated_name_with_the_type_its_content_shows(audit_task, alice):
    log = SimpleUploadedFile("restore.log", b"restored 1204 files\nverified\n", content_type="image/png")
    shot = SimpleUploadedFile("nas.png", PNG, content_type="text/html")
    completion = audit.audit_complete(audit_task, by=alice, items=items(), files=[log, shot])
    kept = {f.name: f for f in completion.files.all()}
    assert kept["restore.log"].content_type == "text/plain"
    assert kept["nas.png"].content_type == "image/png"
    assert all(f.file.name.startswith("maintenance/") and "restore" not in f.file.name for f in kept.values())


def test_evidence_that_is_not_a_picture_pdf_or_text_is_refused_and_nothing_is_written(audit_task, alice):
    upload = SimpleUploadedFile("tool.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 40)
    with pytest.raises(ValidationError, match="tool.png is not a picture"):
        audit.audit_complete(audit_task, by=alice, items=items(), files=[upload])
    assert not Completion.objects.exists() and not AuditItem.objects.exists() and not CompletionFile.objects.exists()


def test_evidence_is_bounded_in_size_and_number(audit_task, alice):
    big = SimpleUploadedFile("huge.png", PNG + b"\x00" * services.FILE_LIMIT)
    with pytest.raises(ValidationError, match="at most 10 MB"):
        audit.audit_complete(audit_task, by=alice, items=items(), files=[big])
    many = [SimpleUploadedFile(f"{n}.png", PNG) for n in range(services.FILES_PER_COMPLETION + 1)]
    with pytest.raises(ValidationError, match="At most 10 files"):
        audit.audit_complete(audit_task, by=alice, items=items(), files=many)
    assert not Completion.objects.exists() and not AuditItem.objects.exists()


def test_evidence_is_linked_from_the_history_and_served_to_the_owner(client, audit_task, alice):
    completion = audit.audit_complete(
        audit_task, by=alice, items=items(), files=[SimpleUploadedFile("restore.log", b"ok\n")]
    )
    kept = completion.files.get()
    client = signed_in(client, alice)
    assert (
        f'href="/maintenance/files/{kept.pk}/">restore.log</a>' in client.get("/maintenance/audits/").content.decode()
    )
    answer = client.get(f"/maintenance/files/{kept.pk}/")
    assert answer.status_code == 200 and answer["Content-Type"] == "text/plain; charset=utf-8"
    assert b"".join(answer.streaming_content) == b"ok\n"
