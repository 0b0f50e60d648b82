"""The owner logs a quarterly audit with a failed item in the browser, sees it on the home
page, resolves it and it is gone; the time budget draws its chart."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.maintenance import services
from apps.maintenance.models import Cadence, Category, MaintenanceTask, TaskKind
from tests.conftest import make_member
from tests.e2e.conftest import screenshot
from tests.e2e.test_signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_logs_an_audit_with_a_failure_and_resolves_it_from_the_home_page(page, live_server, tmp_path):
    make_member("alice", Role.OWNER)
    task = services.task_save(
        MaintenanceTask(
            title="Quarterly restore exercise and audit",
            kind=TaskKind.AUDIT,
            category=Category.BACKUP,
            cadence=Cadence.QUARTERLY,
            starts=date(2026, 1, 10),
            estimate_minutes=240,
        )
    )
    log = tmp_path / "restore.log"
    log.write_text("Restored 1204 files to /volume1/restore-test in 38 min.\n")
    sign_in(page, live_server, "alice")
    expect(page.locator("#audit-failures")).to_have_count(0)

    page.goto(f"{live_server.url}/maintenance/audits/")
    page.get_by_role("link", name=f"Log {task.title}").click()
    restore = page.locator("#item-restore")
    restore.get_by_label("Pass").check()
    restore.get_by_label("Which snapshot").fill("Nightly snapshot of 30 November")
    restore.get_by_label("Restored where").fill("/volume1/restore-test")
    restore.get_by_label("What was verified").fill("Opened three photos and the password vault")
    restore.get_by_label("How long it took (minutes)").fill("38")
    offsite = page.locator("#item-offsite")
    offsite.get_by_label("Fail").check()
    offsite.get_by_label("Date of the last off-site copy").fill("2026-11-12")
    offsite.get_by_label("Notes").fill("The off-site copy stopped on 12 November: the USB disk is full.")
    for key in ("ports", "accounts", "updates"):
        page.locator(f"#item-{key}").get_by_label("Pass").check()
    page.locator("#item-bills").get_by_label("Not applicable").check()
    page.get_by_label("Time spent (minutes)").fill("225")
    page.get_by_label("Evidence (optional)").set_input_files(str(log))
    screenshot(page, "maintenance-audit")
    page.get_by_role("button", name="Save the audit").click()

    expect(page.get_by_role("status")).to_contain_text("1 failed item stays on the home page until resolved")
    expect(page.locator("section[id^=audit-] .badge.bad").first).to_have_text("1 failed")
    expect(page.get_by_role("link", name="restore.log")).to_be_visible()

    page.goto(f"{live_server.url}/")
    panel = page.locator("#audit-failures")
    expect(panel).to_contain_text("Off-site copy is current")
    expect(panel).to_contain_text("the USB disk is full")
    screenshot(page, "maintenance-audit-dashboard")
    panel.get_by_label("What was done about it").fill("Replaced the disk; the copy ran on 3 December.")
    panel.get_by_role("button", name="Resolved").click()
    expect(page.locator("ul.messages")).to_contain_text("Resolved: Off-site copy is current.")
    expect(page.locator("#audit-failures")).to_have_count(0)


def test_the_time_budget_draws_hours_by_category_on_a_phone_and_a_desktop(page, phone, live_server):
    alice = make_member("alice", Role.OWNER)
    now = timezone.now()
    rhythm = [
        ("Weekly look at the dashboard", Category.CHECK, Cadence.WEEKLY, 5, [5, 10, 5, 5, 15, None]),
        ("Monthly model update", Category.UPDATE, Cadence.MONTHLY, 90, [120, 75, 95, None, 140]),
        ("Quarterly restore exercise and audit", Category.BACKUP, Cadence.QUARTERLY, 240, [225, 310, 260]),
        ("Monthly patch review", Category.SECURITY, Cadence.MONTHLY, 45, [30, 60, 50, 40]),
        ("Bill review", Category.COSTS, Cadence.QUARTERLY, 30, [25, 40]),
        ("Annual architecture review", Category.REVIEW, Cadence.ANNUALLY, 960, [1200]),
    ]
    for title, category, cadence, estimate, minutes in rhythm:
        task = services.task_save(
            MaintenanceTask(
                title=title, category=category, cadence=cadence, starts=date(2026, 1, 5), estimate_minutes=estimate
            )
        )
        for n, spent in enumerate(minutes):
            services.task_complete(task, by=alice, completed=now - timedelta(days=3 + 20 * n), minutes=spent)
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/maintenance/budget/")
    expect(page.locator("svg.budget rect.actual")).to_have_count(7)
    expect(page.locator("table.budget-table tbody tr")).to_have_count(6)
    screenshot(page, "maintenance-budget")

    sign_in(phone, live_server, "alice")
    phone.goto(f"{live_server.url}/maintenance/budget/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the budget page is {width} px wide on a 390-px phone"


def test_the_audit_form_history_and_patch_drift_fit_a_phone(phone, live_server):
    from apps.maintenance import audit
    from apps.status.models import Kind, Service

    alice = make_member("alice", Role.OWNER)
    task = services.task_save(
        MaintenanceTask(
            title="Quarterly audit", kind=TaskKind.AUDIT, cadence=Cadence.QUARTERLY, starts=date(2026, 1, 10)
        )
    )
    failed = {
        "section": "offsite",
        "item": "Off-site copy is current",
        "result": "fail",
        "notes": "The USB disk behind the NAS is full: /volume1/offsite-copy-of-everything-we-own stopped.",
        "details": {"last_copy": "2026-11-12"},
    }
    audit.audit_complete(task, by=alice, items=[failed])
    Service.objects.create(
        name="forgejo",
        label="Forgejo",
        kind=Kind.HTTP,
        check_config={"url": "http://127.0.0.1:9/"},
        version="1.21.11+gitea-1.22.0-with-a-very-long-build-suffix",
        version_since=timezone.now() - timedelta(days=300),
    )
    sign_in(phone, live_server, "alice")
    for path in (f"/maintenance/tasks/{task.pk}/audit/", "/maintenance/audits/", "/maintenance/patches/", "/"):
        phone.goto(f"{live_server.url}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390-px phone"
    expect(phone.locator("#audit-failures")).to_contain_text("Off-site copy is current")
