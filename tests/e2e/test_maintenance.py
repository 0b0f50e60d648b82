"""Maintenance in the browser: Alice (owner) plans a weekly task and marks it done (the next
due day moves a week on); Bob (family) finds his task on a 390-px phone and completes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.maintenance import schedule, services
from apps.maintenance.models import Completion, MaintenanceTask
from tests.conftest import make_member
from tests.e2e.conftest import screenshot
from tests.e2e.test_signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def planned(title: str, days: int, **kwargs) -> MaintenanceTask:
    """A task starting `days` from today (in the past: waiting since then)."""
    due = schedule.today() + timedelta(days=days)
    task = services.task_save(MaintenanceTask(title=title, starts=due, **kwargs))
    if days < 0:
        MaintenanceTask.objects.filter(pk=task.pk).update(next_due=due)
    return task


def household() -> dict:
    alice = make_member("alice", Role.OWNER)
    bob = make_member("bob", Role.FAMILY)
    planned(
        "Quarterly restore exercise and audit",
        -3,
        cadence="quarterly",
        kind="audit",
        category="backup",
        estimate_minutes=240,
    )
    planned("Monthly patch review", 4, cadence="monthly", kind="patch_review", category="security", estimate_minutes=45)
    planned(
        "Monthly model update",
        12,
        cadence="custom",
        rrule="FREQ=MONTHLY;BYDAY=1SA",
        kind="model_update",
        category="update",
        estimate_minutes=60,
    )
    ups = planned(
        "Check the UPS and the NAS lights",
        1,
        cadence="monthly",
        assignee=bob,
        estimate_minutes=5,
        checklist=["UPS shows mains power", "NAS lights steady blue"],
    )
    return {"alice": alice, "bob": bob, "ups": ups}


def test_the_owner_plans_and_completes_and_family_completes_theirs_on_a_phone(page, phone, live_server):
    people = household()
    today = schedule.today()
    sign_in(page, live_server, "alice")
    page.get_by_role("link", name="Maintenance", exact=True).click()
    expect(page.get_by_role("heading", name="Maintenance", exact=True)).to_be_visible()
    page.get_by_role("link", name="New task").click()
    page.get_by_label("Title").fill("Weekly look")
    page.get_by_label("Cadence").select_option("weekly")
    page.get_by_label("Starts").fill(today.isoformat())
    page.get_by_label("Estimated minutes").fill("5")
    page.get_by_label("Checklist").fill("Status board all green\nBackups ran")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved “Weekly look”")
    expect(page.get_by_text("Due today")).to_be_visible()

    page.get_by_role("link", name="Mark done…").click()
    page.get_by_label("Status board all green").check()
    page.get_by_label("Backups ran").check()
    page.get_by_label("Minutes it took").fill("6")
    page.get_by_label("Notes").fill("All green; the off-site copy ran at 02:10.")
    page.get_by_role("button", name="Save").click()
    next_week = today + timedelta(days=7)
    expect(page.get_by_role("status")).to_contain_text(f"Next due {next_week:%A %-d %B}")
    expect(page.locator("#history-h + ul")).to_contain_text("All green; the off-site copy ran at 02:10.")
    weekly = MaintenanceTask.objects.get(title="Weekly look")
    assert weekly.next_due == next_week and Completion.objects.get(task=weekly).minutes == 6

    page.goto(f"{live_server.url}/maintenance/")
    agenda = page.locator("#agenda")
    expect(agenda.locator("li.overdue")).to_contain_text("Quarterly restore exercise and audit")
    expect(agenda).to_contain_text("3 days overdue")
    screenshot(page, "maintenance-agenda")
    page.get_by_role("link", name="Month view").click()
    expect(page.locator(".month-grid")).to_contain_text("Monthly patch review")
    screenshot(page, "maintenance-month")

    # Bob, on his phone: his task is in "My tasks"; he marks it done.
    sign_in(phone, live_server, "bob")
    phone.goto(f"{live_server.url}/maintenance/")
    mine = phone.locator("#my-tasks")
    expect(mine).to_contain_text("Check the UPS and the NAS lights")
    expect(mine).not_to_contain_text("Weekly look")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "maintenance-phone")
    mine.get_by_role("link", name="Check the UPS and the NAS lights").click()
    phone.get_by_role("link", name="Mark done…").click()
    phone.get_by_label("UPS shows mains power").check()
    phone.get_by_label("NAS lights steady blue").check()
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_role("status")).to_contain_text("Marked “Check the UPS and the NAS lights” done")
    ups = MaintenanceTask.objects.get(pk=people["ups"].pk)
    assert ups.next_due is not None and ups.next_due > today
    assert Completion.objects.get(task=ups).by == people["bob"]
    phone.goto(f"{live_server.url}/maintenance/month/")
    expect(phone.locator(".month-grid")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
