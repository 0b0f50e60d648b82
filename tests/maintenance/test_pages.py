"""The maintenance pages: agenda, month grid, task page, complete form with files, skip and
snooze, the owner's editor, who sees and completes what, and the calendar feed."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.maintenance import schedule, services
from apps.maintenance.models import CalendarFeed, Completion, MaintenanceTask
from tests.conftest import signed_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def task(title="Weekly look", days=0, **kwargs) -> MaintenanceTask:
    """Due `days` from today (in the past: overdue since then)."""
    kwargs.setdefault("cadence", "weekly")
    due = schedule.today() + timedelta(days=days)
    saved = services.task_save(MaintenanceTask(title=title, starts=due, **kwargs))
    MaintenanceTask.objects.filter(pk=saved.pk).update(next_due=due)
    saved.refresh_from_db()
    return saved


@pytest.mark.django_db
def test_an_empty_calendar_says_what_to_do(client, alice, bob):
    page = signed_in(client, alice).get("/maintenance/").content.decode()
    assert "Nothing is scheduled yet" in page and "New task" in page
    page = signed_in(client, bob).get("/maintenance/").content.decode()
    assert "When the owner plans a task for you" in page and "New task" not in page
    assert "Nothing is due" in signed_in(client, bob).get("/maintenance/month/").content.decode()


@pytest.mark.django_db
def test_the_agenda_shows_overdue_this_week_and_later(client, alice, bob):
    task("Restore exercise", days=-3, cadence="quarterly")
    task("Weekly look", days=2, assignee=bob)
    task("Annual review", days=40, cadence="annually")
    page = signed_in(client, bob).get("/maintenance/").content.decode()
    overdue, week, later = page.index("Overdue"), page.index("Due this week"), page.index("Later")
    assert overdue < page.index("Restore exercise") < week < page.index("Weekly look", week) < later
    assert "3 days overdue" in page and 'class="maint-task overdue"' in page
    mine = page[page.index('id="my-tasks"') : page.index('id="agenda"')]
    assert "Weekly look" in mine and "Restore exercise" not in mine


@pytest.mark.django_db
def test_the_month_grid_lists_each_due_day_and_moves_between_months(client, alice):
    task("Weekly look", days=0)
    response = signed_in(client, alice).get("/maintenance/month/")
    page = response.content.decode()
    assert page.count("Weekly look") >= 4 and "month-grid" in page
    nxt = (schedule.today().replace(day=28) + timedelta(days=4)).strftime("%Y-%m")
    assert f"?month={nxt}" in page
    assert client.get(f"/maintenance/month/?month={nxt}").status_code == 200
    assert client.get("/maintenance/month/?month=not-a-month").status_code == 200  # falls back to today


@pytest.mark.django_db
def test_family_completes_their_task_with_checklist_and_a_screenshot(client, alice, bob):
    weekly = task("Weekly look", assignee=bob, checklist=["Backups green", "Disks fine"])
    signed_in(client, bob)
    form = client.get(reverse("maintenance:complete", args=[weekly.pk])).content.decode()
    assert 'name="tick" value="Backups green"' in form and 'enctype="multipart/form-data"' in form
    shot = SimpleUploadedFile("board.png", PNG, content_type="image/png")
    response = client.post(
        reverse("maintenance:complete", args=[weekly.pk]),
        {"outcome": "done", "minutes": "6", "notes": "All fine", "tick": ["Disks fine"], "files": [shot]},
    )
    assert response.status_code == 302
    weekly.refresh_from_db()
    assert weekly.next_due == schedule.today() + timedelta(days=7)
    done = Completion.objects.get(task=weekly)
    assert done.by == bob and done.minutes == 6
    assert done.checklist == [{"item": "Backups green", "done": False}, {"item": "Disks fine", "done": True}]
    stored = done.files.get()
    assert stored.content_type == "image/png"
    page = client.get(reverse("maintenance:task", args=[weekly.pk])).content.decode()
    assert "All fine" in page and "board.png" in page and "Next due" in page  # the message
    served = client.get(reverse("maintenance:file", args=[stored.pk]))
    assert served["X-Content-Type-Options"] == "nosniff" and served["Content-Type"] == "image/png"


@pytest.mark.django_db
def test_a_file_that_is_not_a_picture_pdf_or_log_is_refused_in_words(client, alice):
    weekly = task()
    signed_in(client, alice)
    exe = SimpleUploadedFile("board.png", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 40)
    response = client.post(reverse("maintenance:complete", args=[weekly.pk]), {"outcome": "done", "files": [exe]})
    assert response.status_code == 400 and "is not a picture" in response.content.decode()
    assert not Completion.objects.exists()  # nothing written


@pytest.mark.django_db
def test_a_file_over_ten_megabytes_is_refused(alice):
    weekly = task()
    big = SimpleUploadedFile("huge.log", b"x" * (services.FILE_LIMIT + 1), content_type="text/plain")
    with pytest.raises(services.ValidationError, match="at most 10 MB"):
        services.task_complete(weekly, by=alice, outcome="done", files=[big])
    assert not Completion.objects.exists()


@pytest.mark.django_db
def test_someone_else_cannot_complete_or_read_files_of_a_task_not_theirs(client, alice, bob, charlie):
    owners = task("Restore exercise")  # assigned to nobody: the owner's
    log = SimpleUploadedFile("restore.log", b"restored 14 GB\n")
    done = services.task_complete(owners, by=alice, outcome="done", files=[log])
    signed_in(client, bob)
    assert client.get(reverse("maintenance:task", args=[owners.pk])).status_code == 200  # family sees the calendar
    assert client.post(reverse("maintenance:complete", args=[owners.pk]), {"outcome": "done"}).status_code == 403
    assert client.get(reverse("maintenance:file", args=[done.files.get().pk])).status_code == 404
    signed_in(client, charlie)  # the caretaker sees only what is assigned to them
    assert client.get(reverse("maintenance:task", args=[owners.pk])).status_code == 404
    assert "Restore exercise" not in client.get("/maintenance/").content.decode()
    plants = task("Water the plants", assignee=charlie)
    assert "Water the plants" in client.get("/maintenance/").content.decode()
    assert client.post(reverse("maintenance:complete", args=[plants.pk]), {"outcome": "done"}).status_code == 302


@pytest.mark.django_db
def test_skip_and_snooze_from_the_task_page(client, alice):
    weekly = task(days=-1)
    signed_in(client, alice)
    until = schedule.today() + timedelta(days=2)
    response = client.post(
        reverse("maintenance:snooze", args=[weekly.pk]), {"until": until.isoformat(), "reason": "Away"}
    )
    assert response.status_code == 302
    weekly.refresh_from_db()
    assert weekly.next_due == until
    page = client.get(reverse("maintenance:task", args=[weekly.pk])).content.decode()
    assert "snoozed from" in page and "Away" in page
    client.post(reverse("maintenance:skip", args=[weekly.pk]), {"reason": "Did it last week"})
    weekly.refresh_from_db()
    assert weekly.next_due == schedule.today() + timedelta(days=6)
    response = client.post(reverse("maintenance:snooze", args=[weekly.pk]), {"until": ""}, follow=True)
    assert "Pick the day to snooze it to" in response.content.decode()


@pytest.mark.django_db
def test_a_problem_opens_a_follow_up_in_one_click(client, alice, bob):
    weekly = task(assignee=bob)
    done = services.task_complete(weekly, by=bob, outcome="problem", notes="UPS battery old")
    signed_in(client, bob)
    page = client.get(reverse("maintenance:task", args=[weekly.pk])).content.decode()
    assert "Open a follow-up task" in page
    response = client.post(reverse("maintenance:follow_up", args=[done.pk]))
    follow_up = MaintenanceTask.objects.get(follows=done)
    assert response["Location"] == reverse("maintenance:task", args=[follow_up.pk])
    assert follow_up.assignee == bob and "UPS battery old" in follow_up.description


@pytest.mark.django_db
def test_the_owner_plans_with_the_thin_form_and_a_bad_rule_is_refused_in_words(client, alice):
    signed_in(client, alice)
    data = {
        "title": "Patch review",
        "kind": "patch_review",
        "category": "update",
        "cadence": "custom",
        "rrule": "FREQ=HOURLY",
        "anchor": "schedule",
        "starts": schedule.today().isoformat(),
        "estimate_minutes": "30",
        "checklist": "Read the changelogs\n\nUpdate the NAS\n",
    }
    response = client.post(reverse("maintenance:task_new"), data)
    assert response.status_code == 200 and "finer than a day" in response.content.decode()
    response = client.post(reverse("maintenance:task_new"), {**data, "rrule": "FREQ=MONTHLY;BYDAY=2TU"})
    saved = MaintenanceTask.objects.get(title="Patch review")
    assert response.status_code == 302 and saved.checklist == ["Read the changelogs", "Update the NAS"]
    assert saved.next_due is not None and saved.next_due.weekday() == 1
    edit = client.get(reverse("maintenance:task_edit", args=[saved.pk])).content.decode()
    assert "Read the changelogs\nUpdate the NAS" in edit


@pytest.mark.django_db
def test_the_dashboard_panel_shows_what_is_due(client, alice, bob):
    task("Restore exercise", days=-2)
    task("Weekly look", days=3, assignee=bob)
    page = signed_in(client, alice).get("/").content.decode()
    panel = page[page.index('id="maintenance-due"') :]
    assert "Restore exercise" in panel and "2 days overdue" in panel and "Weekly look" in panel
    page = signed_in(client, bob).get("/").content.decode()
    panel = page[page.index('id="maintenance-due"') :]
    assert "Weekly look" in panel and "Restore exercise" not in panel


# --- the calendar feed --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_feed_is_valid_icalendar_with_stable_uids_and_links(client, alice, bob):
    weekly = task("Weekly look", assignee=bob)
    task("Restore exercise", cadence="quarterly")  # the owner's, not in Bob's feed
    signed_in(client, bob).post(reverse("maintenance:feed_regenerate"))
    first = CalendarFeed.objects.get(member=bob).token
    assert first in client.get("/maintenance/").content.decode()
    client.logout()
    response = client.get(f"/maintenance/feed/{first}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    events = cal.walk("VEVENT")
    assert 52 <= len(events) <= 54 and {str(e["summary"]) for e in events} == {"Weekly look"}
    assert events[0]["dtstart"].dt == weekly.next_due  # a date: all day
    assert str(events[0]["url"]).endswith(reverse("maintenance:task", args=[weekly.pk]))
    uids = [str(e["uid"]) for e in events]
    assert len(set(uids)) == len(uids)

    signed_in(client, bob).post(reverse("maintenance:feed_regenerate"))
    second = CalendarFeed.objects.get(member=bob).token
    client.logout()
    assert second != first
    assert client.get(f"/maintenance/feed/{first}.ics").status_code == 404
    again = icalendar.Calendar.from_ical(client.get(f"/maintenance/feed/{second}.ics").content)
    assert [str(e["uid"]) for e in again.walk("VEVENT")] == uids


@pytest.mark.django_db
def test_a_wrong_or_revoked_feed_address_is_not_found(client, bob):
    assert client.get("/maintenance/feed/" + "x" * 43 + ".ics").status_code == 404
    token = services.feed_regenerate(bob).token
    assert client.get(f"/maintenance/feed/{token}.ics").status_code == 200
    signed_in(client, bob).post(reverse("maintenance:feed_revoke"))
    client.logout()
    assert client.get(f"/maintenance/feed/{token}.ics").status_code == 404
    bob_token = services.feed_regenerate(bob).token
    bob.is_active = False
    bob.save()
    assert client.get(f"/maintenance/feed/{bob_token}.ics").status_code == 404


@pytest.mark.django_db
def test_descriptions_and_notes_are_markdown_rendered_and_sanitized(client, alice):
    weekly = task(description="**Look** at <script>alert(1)</script> [the board](javascript:alert(1))")
    services.task_complete(weekly, by=alice, outcome="done", notes="See [the log](/status/)")
    page = signed_in(client, alice).get(reverse("maintenance:task", args=[weekly.pk])).content.decode()
    assert "<strong>Look</strong>" in page and "<script>alert" not in page and "javascript:" not in page
    assert '<a href="/status/"' in page
