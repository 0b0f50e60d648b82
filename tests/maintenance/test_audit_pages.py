"""The audit pages: the form (plain POST, no JavaScript), the history, and the failed item on
the owner's home page until it is resolved."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.ledger.models import Review
from apps.maintenance import audit, services
from apps.maintenance.models import AuditItem, Cadence, Completion, MaintenanceTask, TaskKind
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit_task(db) -> MaintenanceTask:
    return services.task_save(
        MaintenanceTask(
            title="Quarterly audit", kind=TaskKind.AUDIT, cadence=Cadence.QUARTERLY, starts=date(2026, 1, 10)
        )
    )


def form_data(**overrides: str) -> dict[str, str]:
    data = {f"{spec.key}-result": "pass" for spec in audit.ITEMS}
    data.update(
        {
            "restore-snapshot": "Nightly 2026-11-30",
            "restore-restored_to": "/volume1/restore-test",
            "restore-verified": "Opened three photos",
            "restore-minutes": "45",
            "offsite-last_copy": "2026-12-01",
            "bills-result": "na",
            "minutes": "210",
            "notes": "All fine but the off-site disk.",
        }
    )
    data.update(overrides)
    return data


def test_the_form_shows_every_section_and_points_at_the_ledgers_bill_review(client, alice, audit_task):
    page = signed_in(client, alice).get(f"/maintenance/tasks/{audit_task.pk}/audit/").content.decode()
    for words in ("Backup-restore exercise", "Off-site backup current", "Security perimeter", "Bill audit"):
        assert words in page
    assert "in the ledger&#x27;s bill review" in page
    assert "No bill review this quarter yet" in page and 'href="/ledger/reviews/new/">Do the bill review' in page
    assert 'enctype="multipart/form-data"' in page and "csrfmiddlewaretoken" in page
    assert "style=" not in page


def test_the_bill_item_shows_the_quarters_latest_bill_review(client, alice, audit_task):
    today = timezone.localdate()
    quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    at = timezone.make_aware(datetime.combine(quarter, time.min))
    Review.objects.create(created=at - timedelta(days=1), baseline=Decimal("99.00"))  # last quarter's
    Review.objects.create(created=at + timedelta(hours=9), baseline=Decimal("62.1049"))
    Review.objects.create(created=at + timedelta(hours=10), kind="acknowledged", baseline=Decimal("70"))
    page = signed_in(client, alice).get(f"/maintenance/tasks/{audit_task.pk}/audit/").content.decode()
    assert f"Latest bill review this quarter: {quarter:%-d %B %Y}, baseline 62.10 USD a month." in page
    assert 'href="/ledger/reviews/new/">Review the bills again' in page


def test_a_logged_audit_with_a_failure_shows_on_the_home_page_until_resolved(client, alice, audit_task):
    client = signed_in(client, alice)
    answer = client.post(
        f"/maintenance/tasks/{audit_task.pk}/audit/",
        form_data(**{"offsite-result": "fail", "offsite-notes": "The USB disk is full."})
        | {"evidence": SimpleUploadedFile("restore.log", b"restored 1204 files\n")},
    )
    completion = Completion.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/maintenance/audits/#audit-{completion.pk}"
    assert (completion.minutes, completion.outcome) == (210, Completion.Outcome.PROBLEM)
    assert completion.files.get().name == "restore.log"
    assert completion.audit_items.get(section="restore").details == {
        "snapshot": "Nightly 2026-11-30",
        "restored_to": "/volume1/restore-test",
        "verified": "Opened three photos",
        "minutes": 45,
    }

    home = client.get("/").content.decode()
    assert "1 audit item failed" in home and "The USB disk is full." in home
    history = client.get("/maintenance/audits/").content.decode()
    assert "4 passed" in history and "1 failed" in history and "1 not applicable" in history
    assert "restore.log" in history

    failed = AuditItem.objects.get(result="fail")
    answer = client.post(
        f"/maintenance/audit-items/{failed.pk}/resolve/", {"resolution": "Swapped the disk.", "next": "/"}
    )
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert "audit item failed" not in client.get("/").content.decode()
    assert "Resolved" in client.get("/maintenance/audits/").content.decode()


def test_a_resolve_without_a_note_says_why_and_keeps_the_item_open(client, alice, audit_task):
    audit.audit_complete(
        audit_task,
        by=alice,
        items=[{"section": "bills", "item": "Bills reviewed", "result": "fail", "notes": "The VPN doubled."}],
    )
    failed = AuditItem.objects.get()
    client = signed_in(client, alice)
    page = client.post(f"/maintenance/audit-items/{failed.pk}/resolve/", {"resolution": ""}, follow=True)
    assert "Say what was done about it" in page.content.decode()
    assert list(audit.open_failures()) == [failed]
    # A link elsewhere is not followed after resolving.
    answer = client.post(
        f"/maintenance/audit-items/{failed.pk}/resolve/", {"resolution": "ok", "next": "https://evil.example/"}
    )
    assert answer["Location"].startswith("/maintenance/audits/")


def test_mistakes_are_said_beside_the_item_and_nothing_is_saved(client, alice, audit_task):
    page = signed_in(client, alice).post(
        f"/maintenance/tasks/{audit_task.pk}/audit/",
        form_data(**{"ports-result": "fail", "restore-snapshot": "", "offsite-last_copy": "yesterday"}),
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Say what failed, so that whoever fixes it knows where to start." in text
    assert "A restore that passed says which snapshot was restored." in text
    assert "Enter a valid date." in text
    assert not Completion.objects.exists()


def test_a_file_that_is_not_evidence_is_refused_in_words(client, alice, audit_task):
    page = signed_in(client, alice).post(
        f"/maintenance/tasks/{audit_task.pk}/audit/",
        form_data() | {"evidence": SimpleUploadedFile("shot.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 40)},
    )
    assert "shot.png is not a picture (PNG, JPEG, GIF or WebP), a PDF or a plain text file" in page.content.decode()
    assert not Completion.objects.exists()


def test_a_request_too_large_for_the_evidence_limits_is_refused_before_it_is_read(client, alice, audit_task):
    answer = signed_in(client, alice).post(
        f"/maintenance/tasks/{audit_task.pk}/audit/",
        form_data(),
        CONTENT_LENGTH=str(services.FILES_PER_COMPLETION * services.FILE_LIMIT + 2 * 1024 * 1024),
    )
    assert answer.status_code == 413
    assert "at most 10 files of 10 MB each" in answer.content.decode()


def test_history_and_form_say_what_to_do_when_there_is_no_audit_task(client, alice):
    page = signed_in(client, alice).get("/maintenance/audits/").content.decode()
    assert "There is no audit task yet." in page
    weekly = services.task_save(MaintenanceTask(title="Weekly look", cadence=Cadence.WEEKLY, starts=date(2026, 1, 5)))
    assert signed_in(client, alice).get(f"/maintenance/tasks/{weekly.pk}/audit/").status_code == 404


def test_the_audit_task_page_and_the_maintenance_page_lead_to_the_audit(client, alice, audit_task):
    client = signed_in(client, alice)
    assert (
        f'href="/maintenance/tasks/{audit_task.pk}/audit/">Log the audit'
        in client.get(f"/maintenance/{audit_task.pk}/").content.decode()
    )
    index = client.get("/maintenance/").content.decode()
    for link in ("/maintenance/audits/", "/maintenance/patches/", "/maintenance/budget/"):
        assert f'href="{link}"' in index


def test_an_audit_done_on_an_earlier_day_is_logged_on_that_day_but_not_in_the_future(client, alice, audit_task):
    from datetime import timedelta

    from django.utils import timezone

    client = signed_in(client, alice)
    tomorrow = timezone.localdate() + timedelta(days=1)
    page = client.post(f"/maintenance/tasks/{audit_task.pk}/audit/", form_data(done_on=tomorrow.isoformat()))
    assert "The audit cannot be done in the future" in page.content.decode()
    saturday = timezone.localdate() - timedelta(days=2)
    client.post(f"/maintenance/tasks/{audit_task.pk}/audit/", form_data(done_on=saturday.isoformat()))
    assert timezone.localtime(Completion.objects.get().completed).date() == saturday
