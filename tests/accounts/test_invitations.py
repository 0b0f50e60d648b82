from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Invitation
from apps.accounts.roles import Role, role_of
from tests.conftest import PASSWORD, signed_in

pytestmark = pytest.mark.django_db
User = get_user_model()


def invite(client, **data) -> str:
    """Alice invites someone; returns the link shown once on the members page."""
    response = client.post(reverse("accounts:invite"), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    page = client.get(reverse("accounts:members"))
    link = page.context["new_link"]["url"]
    assert link in page.content.decode()
    assert client.get(reverse("accounts:members")).context["new_link"] is None  # shown once
    return link.split("testserver", 1)[1]


@pytest.mark.parametrize("role", list(Role))
def test_an_invitation_creates_a_member_with_that_role(client, alice, role):
    link = invite(signed_in(client, alice), role=role.value, email=f"new-{role}@example.com")
    client.logout()
    assert client.get(link).status_code == 200
    response = client.post(link, {"username": f"new-{role}", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    member = User.objects.get(username=f"new-{role}")
    assert role_of(member) == role
    assert member.email == f"new-{role}@example.com"
    assert client.get("/").context["user"] == member  # signed in at once


def test_an_invitation_works_only_once(client, alice):
    link = invite(signed_in(client, alice), role="family")
    client.logout()
    client.post(link, {"username": "first", "password1": PASSWORD, "password2": PASSWORD})
    client.logout()
    again = client.get(link)
    assert again.status_code == 404
    assert "This link does not work any more" in again.content.decode()


def test_expired_and_revoked_invitations_do_not_work(client, alice):
    link = invite(signed_in(client, alice), role="family")
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(link).status_code == 404
    link = invite(client, role="family")
    pending = Invitation.objects.filter(accepted_at=None, expires_at__gt=timezone.now()).get()
    client.post(reverse("accounts:invitation_revoke", args=[pending.pk]))
    assert client.get(link).status_code == 404


def test_the_invitation_is_emailed_when_email_is_set_up(client, alice, settings):
    settings.EMAIL_CONFIGURED = True
    link = invite(signed_in(client, alice), role="caretaker", email="charlie@example.com")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["charlie@example.com"]
    assert link in mail.outbox[0].body


def test_without_email_set_up_nothing_is_sent_and_the_link_is_shown(client, alice, settings):
    settings.EMAIL_CONFIGURED = False
    invite(signed_in(client, alice), role="family", email="bob@example.com")
    assert mail.outbox == []


def test_a_caretaker_invitation_carries_the_access_window(client, alice):
    start = timezone.now() - timedelta(hours=1)
    end = timezone.now() + timedelta(days=14)
    fmt = "%Y-%m-%dT%H:%M"
    link = invite(
        signed_in(client, alice),
        role="caretaker",
        access_from=timezone.localtime(start).strftime(fmt),
        access_until=timezone.localtime(end).strftime(fmt),
    )
    client.logout()
    client.post(link, {"username": "charlie", "password1": PASSWORD, "password2": PASSWORD})
    member = User.objects.get(username="charlie").member
    assert member.access_until.replace(second=0, microsecond=0) == end.replace(second=0, microsecond=0)


def test_a_window_that_ends_before_it_starts_is_refused(client, alice):
    response = signed_in(client, alice).post(
        reverse("accounts:invite"),
        {"role": "caretaker", "access_from": "2027-01-10T10:00", "access_until": "2027-01-01T10:00"},
    )
    assert response.status_code == 200
    assert "Access must end after it starts: make the end later than the start." in response.content.decode()


def test_a_taken_username_and_a_weak_password_are_explained(client, alice, bob):
    link = invite(signed_in(client, alice), role="family")
    client.logout()
    response = client.post(link, {"username": "bob", "password1": "123", "password2": "123"})
    text = response.content.decode()
    assert "That username is taken" in text
    assert "This password is too short" in text
    assert Invitation.objects.get().accepted_at is None


def test_a_sign_in_link_lets_an_existing_member_set_a_new_password(client, alice, bob):
    signed_in(client, alice).post(reverse("accounts:member_link", args=[bob.pk]))
    link = client.get(reverse("accounts:members")).context["new_link"]["url"].split("testserver", 1)[1]
    client.logout()
    new = "another fine passphrase 7"
    client.post(link, {"password1": new, "password2": new})
    bob.refresh_from_db()
    assert bob.check_password(new)
    assert role_of(bob) == Role.FAMILY


def test_the_last_owner_cannot_demote_themselves(client, alice):
    response = signed_in(client, alice).post(
        reverse("accounts:member_edit", args=[alice.pk]), {"role": "family", "is_active": "on"}
    )
    assert response.status_code == 200
    assert "at least one owner" in response.content.decode()
    assert role_of(User.objects.get(pk=alice.pk)) == Role.OWNER


def test_the_owner_changes_a_role(client, alice, bob):
    response = signed_in(client, alice).post(
        reverse("accounts:member_edit", args=[bob.pk]), {"role": "caretaker", "is_active": "on", "first_name": "Bob"}
    )
    assert response.status_code == 302
    assert role_of(User.objects.get(pk=bob.pk)) == Role.CARETAKER


def test_a_new_sign_in_link_replaces_the_older_one(client, alice, bob):
    signed_in(client, alice).post(reverse("accounts:member_link", args=[bob.pk]))
    first = client.get(reverse("accounts:members")).context["new_link"]["url"].split("testserver", 1)[1]
    client.post(reverse("accounts:member_link", args=[bob.pk]))
    assert client.get(first).status_code == 404


def test_a_sign_in_link_stops_working_when_the_member_is_deactivated(client, alice, bob):
    signed_in(client, alice).post(reverse("accounts:member_link", args=[bob.pk]))
    link = client.get(reverse("accounts:members")).context["new_link"]["url"].split("testserver", 1)[1]
    User.objects.filter(pk=bob.pk).update(is_active=False)
    assert client.get(link).status_code == 404


def test_an_invitation_whose_window_has_not_opened_creates_the_account_but_waits(client, alice):
    start = timezone.now() + timedelta(days=3)
    link = invite(
        signed_in(client, alice), role="caretaker", access_from=timezone.localtime(start).strftime("%Y-%m-%dT%H:%M")
    )
    client.logout()
    response = client.post(link, {"username": "charlie", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 403
    assert "Your access opens on" in response.content.decode()
    assert User.objects.filter(username="charlie").exists()
    assert client.get("/").status_code == 302  # not signed in


def test_an_owner_cannot_be_given_an_access_window(client, alice):
    response = signed_in(client, alice).post(
        reverse("accounts:invite"), {"role": "owner", "access_until": "2030-01-01T10:00"}
    )
    assert "Owners have no access window" in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_forms_keep_email_addresses_unique(client, alice, bob):
    signed_in(client, alice)
    response = client.post(reverse("accounts:invite"), {"role": "family", "email": "BOB@example.com"})
    assert "Another member already uses this address." in response.content.decode()
    response = client.post(
        reverse("accounts:member_edit", args=[alice.pk]),
        {"role": "owner", "is_active": "on", "email": "bob@example.com"},
    )
    assert "Another member already uses this address." in response.content.decode()


def test_two_invitations_of_one_role_are_told_apart_and_the_name_greets_the_new_member(client, alice):
    signed_in(client, alice)
    sitter = invite(client, role="family", name="Charlie", note="Looks after the cat in August")
    invite(client, role="family", name="Grandma", note="Weekends")
    members = client.get(reverse("accounts:members")).content.decode()
    assert "<strong>Charlie</strong>" in members and "Looks after the cat in August" in members
    assert "<strong>Grandma</strong>" in members and "Weekends" in members
    client.logout()
    page = client.get(sitter).content.decode()
    assert "Welcome to" in page and ", Charlie</h1>" in page
    assert 'name="first_name" value="Charlie"' in page  # offered, and theirs to change
    response = client.post(
        sitter, {"first_name": "Charlie B.", "username": "charlie", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    assert User.objects.get(username="charlie").first_name == "Charlie B."
    home = client.get("/").content.decode()
    assert "Hello, Charlie B." in home and "Welcome, Charlie B." in home


def test_a_name_left_empty_on_acceptance_takes_the_invitations(client, alice):
    link = invite(signed_in(client, alice), role="family", name="Sam")
    client.logout()
    client.post(link, {"first_name": "", "username": "sam", "password1": PASSWORD, "password2": PASSWORD})
    assert User.objects.get(username="sam").first_name == "Sam"
