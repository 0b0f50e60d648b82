"""What each role sees: navigation, the dashboard's areas, empty states, plain-word refusals."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

NAV = {
    "alice": ["Chat", "Status", "Runbooks", "Handover", "Maintenance", "Ledger", "Binder", "Settings"],
    "bob": ["Chat", "Status", "Runbooks", "Handover", "Maintenance"],
    "charlie": ["Status", "Runbooks", "Handover", "Maintenance"],
}


def nav_labels(html: str) -> list[str]:
    nav = re.search(r'<nav class="main".*?</nav>', html, re.S).group(0)
    return re.findall(r">([A-Z][a-z]+)</a>", nav)


@pytest.mark.parametrize("who", NAV)
def test_navigation_shows_what_the_role_may_open(client, request, who):
    person = request.getfixturevalue(who)
    html = signed_in(client, person).get("/").content.decode()
    assert nav_labels(html) == NAV[who]


def test_the_dashboard_has_its_four_areas_for_the_owner(client, alice):
    html = signed_in(client, alice).get("/").content.decode()
    for area in ('id="at-a-glance"', 'id="chat-box"', 'id="maintenance-due"', 'id="handover"'):
        assert area in html
    assert "No services are watched yet" in html
    assert "The assistant is not set up yet" in html
    assert "Nothing is due" in html
    assert "No handover is active" in html


def test_a_caretaker_dashboard_has_no_chat_and_maintenance_only_when_theirs_is_due(client, charlie):
    html = signed_in(client, charlie).get("/").content.decode()
    assert 'id="chat-box"' not in html
    assert 'id="maintenance-due"' not in html  # nothing of theirs is due: the home page stays short
    assert 'id="handover"' in html
    from django.utils import timezone

    from apps.maintenance import services
    from apps.maintenance.models import MaintenanceTask

    task = services.task_save(
        MaintenanceTask(title="Water the plants", cadence="weekly", starts=timezone.localdate(), assignee=charlie)
    )
    assert task.next_due == timezone.localdate()
    html = client.get("/").content.decode()
    assert 'id="maintenance-due"' in html and "Water the plants" in html


def test_a_refused_page_says_why_in_plain_words(client, bob):
    response = signed_in(client, bob).get(reverse("core:settings"))
    assert response.status_code == 403
    text = response.content.decode()
    assert "This page is not for your role" in text
    assert "You are signed in as family; this page is for the owner." in text


@pytest.mark.parametrize(
    ("url_name", "words"),
    [
        ("status:index", "No services are watched yet."),
        ("chat:index", "The assistant is not set up yet."),
        ("runbooks:index", "No runbooks yet."),
        ("handover:index", "No handover is active: the owner is at home."),
        ("maintenance:index", "Nothing is scheduled yet."),
        ("ledger:index", "No costs recorded yet."),
        ("binder:index", "No binder edition yet."),
    ],
)
def test_each_area_has_a_clear_empty_state(client, alice, url_name, words):
    assert words in signed_in(client, alice).get(reverse(url_name)).content.decode()


def test_an_unknown_address_gets_a_plain_404(client, alice):
    response = signed_in(client, alice).get("/no/such/page/")
    assert response.status_code == 404
    assert "This address does not lead to a page." in response.content.decode()


def test_the_members_page_lists_roles_and_windows(client, alice, bob, charlie):
    html = signed_in(client, alice).get(reverse("accounts:members")).content.decode()
    assert "bob" in html and "Family" in html
    assert "charlie" in html and "Caretaker" in html
    assert "until" in html and "open" in html
    assert "No open invitations." in html


def test_pages_carry_csrf_for_htmx_and_vendored_htmx(client, alice):
    html = signed_in(client, alice).get("/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert 'src="/static/vendor/htmx/htmx.min.js"' in html
    assert "unpkg" not in html and "cdn" not in html.lower()


def test_a_user_without_a_role_is_told_to_ask_the_owner(client, db):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("root", password="x" * 12)
    response = signed_in(client, nobody).get("/")
    assert response.status_code == 403
    assert "Your account has no role yet" in response.content.decode()
