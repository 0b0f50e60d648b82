"""A caretaker chosen for a handover can sign in only during it, and a session that outlives
it ends on time: before, during, after, and in the middle of a visit (accounts' access window,
which the handover sets)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from tests.conftest import PASSWORD, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(db):
    """A caretaker with no window of her own: the handover gives her one."""
    return make_member("dana", Role.CARETAKER)


def sign_in(client):
    return client.post(reverse("account_login"), {"login": "dana", "password": PASSWORD})


@pytest.mark.parametrize(
    ("starts", "ends", "allowed", "words"),
    [
        (timedelta(days=1), timedelta(days=5), False, "Your access opens on"),
        (timedelta(hours=-1), timedelta(days=5), True, ""),
        (timedelta(days=-5), timedelta(days=-1), False, "Your access ended on"),
    ],
    ids=["before", "during", "after"],
)
def test_a_caretaker_signs_in_only_during_the_handover(client, dana, make_handover, starts, ends, allowed, words):
    now = timezone.now()
    make_handover(starts=now + starts, ends=now + ends, caretakers=[dana])
    response = sign_in(client)
    if allowed:
        assert response.status_code == 302
        assert client.get(reverse("handover:index")).status_code == 200
    else:
        assert response.status_code == 403
        assert words in response.content.decode()
        assert client.get(reverse("handover:index")).status_code == 302  # not signed in


def test_access_ends_on_time_in_the_middle_of_a_visit(client, dana, make_handover):
    ends = timezone.now() + timedelta(seconds=2)
    make_handover(starts=timezone.now() - timedelta(hours=1), ends=ends, caretakers=[dana])
    assert sign_in(client).status_code == 302
    page = client.get(reverse("handover:index"))
    assert page.status_code == 200 and "Christmas" in page.content.decode()
    time.sleep(max(0.0, (ends - timezone.now()).total_seconds()) + 0.1)  # the stay ends while she reads
    response = client.get(reverse("handover:index"))
    assert response.status_code == 302 and response["Location"] == reverse("account_login")
    assert "Your access ended on" in client.get(response["Location"]).content.decode()
    assert client.get(reverse("status:index")).status_code == 302  # signed out for good
