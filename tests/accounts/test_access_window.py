from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Member
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def set_window(user, start, end):
    Member.objects.filter(user=user).update(access_from=start, access_until=end)


def sign_in(client, username):
    return client.post(reverse("account_login"), {"login": username, "password": PASSWORD})


@pytest.mark.parametrize(
    ("offset_from", "offset_until", "allowed", "words"),
    [
        (timedelta(days=1), timedelta(days=5), False, "Your access opens on"),
        (timedelta(days=-1), timedelta(days=5), True, ""),
        (timedelta(days=-5), timedelta(days=-1), False, "Your access ended on"),
        (None, None, True, ""),
    ],
    ids=["before", "during", "after", "no-window"],
)
def test_sign_in_follows_the_access_window(client, charlie, offset_from, offset_until, allowed, words):
    now = timezone.now()
    set_window(charlie, offset_from and now + offset_from, offset_until and now + offset_until)
    response = sign_in(client, "charlie")
    if allowed:
        assert response.status_code == 302
        assert client.get("/").status_code == 200
    else:
        assert response.status_code == 403
        assert words in response.content.decode()
        assert client.get("/").status_code == 302  # not signed in


def test_an_open_session_stops_at_access_until(client, charlie):
    assert sign_in(client, "charlie").status_code == 302
    assert client.get(reverse("status:index")).status_code == 200
    # Time passes: the window closes while the session is open.
    set_window(charlie, timezone.now() - timedelta(days=2), timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("status:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    page = client.get(response["Location"])
    assert "Your access ended on" in page.content.decode()
    assert client.get(reverse("status:index")).status_code == 302  # signed out for good


def test_htmx_requests_are_sent_to_sign_in_as_a_whole_page(client, charlie):
    sign_in(client, "charlie")
    set_window(charlie, None, timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("status:index"), headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == reverse("account_login")
