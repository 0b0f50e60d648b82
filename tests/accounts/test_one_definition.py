"""A member's and an invitation's rules live on the models (apps/accounts/models.py): the
Settings forms, the config file and add_member refuse the same values with the same words,
and the services refuse what no door would let through."""

from __future__ import annotations

import io
import re
from html import escape

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.accounts import services
from apps.accounts.models import Invitation
from apps.accounts.roles import Role
from apps.core import config
from tests.conftest import PASSWORD, signed_in

pytestmark = pytest.mark.django_db
User = get_user_model()

# (what a member is given, the words every door uses to refuse it)
CASES = [
    ({"role": "caretaker", "access_from": "2027-01-10T10:00", "access_until": "2027-01-01T10:00"}, "Access must end"),
    ({"role": "owner", "access_until": "2030-01-01T10:00"}, "Owners have no access window: it could lock"),
    ({"role": "family", "email": "BOB@example.com"}, "Another member already uses this address."),
    ({"role": "family", "email": "carol at home"}, "Write an email address, like sam@example.com."),
]


def _file(username: str, values: dict) -> list[str]:
    entry = {"username": username, **{k: v.replace("T", " ") if "access" in k else v for k, v in values.items()}}
    return [str(error) for error in config.import_text(yaml.safe_dump({"members": [entry]})).errors]


@pytest.mark.parametrize(("values", "words"), CASES)
def test_the_invitation_form_the_member_form_and_the_file_agree(client, alice, bob, values, words):
    signed_in(client, alice)
    invited = client.post(reverse("accounts:invite"), values)
    assert escape(words) in invited.content.decode()
    assert not Invitation.objects.exists()

    carol = services.member_save(username="carol", role=Role.FAMILY, email="carol@example.com")
    edited = client.post(reverse("accounts:member_edit", args=[carol.pk]), {**values, "is_active": "on"})
    assert escape(words) in edited.content.decode()
    carol.refresh_from_db()
    assert (carol.email, carol.member.access_until) == ("carol@example.com", None)

    assert any(words in error for error in _file("dave", values)), _file("dave", values)
    assert not User.objects.filter(username="dave").exists()


USERNAMES = [
    ("b b", "letters, digits and @ . + - _ only"),
    ("BOB", "That username is taken. Pick another."),
    ("x" * 151, "Too long: at most 150 characters (this has 151)."),
]


def _accept(client, alice, username: str) -> str:
    signed_in(client, alice).post(reverse("accounts:invite"), {"role": "family"})
    link = client.get(reverse("accounts:members")).context["new_link"]["url"].split("testserver", 1)[1]
    client.logout()
    return client.post(link, {"username": username, "password1": PASSWORD, "password2": PASSWORD}).content.decode()


@pytest.mark.parametrize(("username", "words"), USERNAMES)
def test_one_rule_for_new_usernames_at_every_door(client, alice, bob, username, words):
    assert escape(words) in _accept(client, alice, username)
    assert any(words in error for error in _file(username, {"role": "family"}))
    with pytest.raises(CommandError, match=re.escape(f"username: {words}")):
        call_command("add_member", username, "--role", "family", stdout=io.StringIO())
    assert User.objects.count() == 2  # alice and bob


def test_a_username_every_door_accepts(client, alice):
    assert User.objects.filter(username="m.e+1@home").count() == 0
    _accept(client, alice, "m.e+1@home")
    assert not config.import_text("members:\n  - {username: n.e+1@home, role: family}\n").errors
    call_command("add_member", "o.e+1@home", "--role", "family", stdout=io.StringIO())
    assert set(User.objects.values_list("username", flat=True)) == {"alice", "m.e+1@home", "n.e+1@home", "o.e+1@home"}


def test_the_services_refuse_what_breaks_a_rule(alice):
    with pytest.raises(ValidationError) as refused:
        services.member_save(username="b b", role=Role.FAMILY, email="nope")
    assert set(refused.value.message_dict) == {"username", "email"}
    with pytest.raises(ValidationError) as refused:
        services.invitation_create(role=Role.OWNER, created_by=alice, access_until=alice.date_joined)
    assert refused.value.message_dict == {
        "access_until": ["Owners have no access window: it could lock the household out."]
    }
    assert not User.objects.filter(username="b b").exists() and not Invitation.objects.exists()
