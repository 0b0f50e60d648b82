from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from apps.accounts.roles import Role, role_of

pytestmark = pytest.mark.django_db
User = get_user_model()


def run(*args, **env) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_add_member_prints_a_generated_password_that_works():
    output = run("add_member", "bob", "--role", "family", "--email", "bob@example.com")
    password = output.split("Password: ")[1].strip()
    bob = User.objects.get(username="bob")
    assert bob.check_password(password)
    assert role_of(bob) == Role.FAMILY


def test_add_member_with_a_password_prints_none():
    output = run("add_member", "carol", "--role", "caretaker", "--password", "a long enough passphrase")
    assert "Password:" not in output
    assert User.objects.get(username="carol").check_password("a long enough passphrase")


def test_add_member_refuses_an_unknown_role():
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("add_member", "x", "--role", "boss")


def test_bootstrap_creates_groups_and_one_owner_and_is_idempotent(monkeypatch):
    monkeypatch.setenv("HOMEOPS_OWNER_PASSWORD", "the owner's chosen passphrase")
    first = run("bootstrap", "--no-input")
    assert "Created the owner 'owner'" in first
    assert "password" not in first.lower().replace("owner's", "")  # a chosen password is not echoed
    assert set(Group.objects.values_list("name", flat=True)) >= {"owner", "family", "caretaker"}
    assert User.objects.get(username="owner").check_password("the owner's chosen passphrase")
    second = run("bootstrap", "--no-input")
    assert "Already set up" in second
    assert User.objects.count() == 1


def test_bootstrap_generates_and_prints_a_password_once(monkeypatch):
    monkeypatch.delenv("HOMEOPS_OWNER_PASSWORD", raising=False)
    output = run("bootstrap", "--no-input")
    password = output.split("with the password ")[1].split()[0]
    assert User.objects.get(username="owner").check_password(password)
    assert "with the password" not in run("bootstrap", "--no-input")


def test_bootstrap_loads_the_example_household_on_first_run_only(monkeypatch):
    monkeypatch.setenv("HOMEOPS_OWNER_PASSWORD", "the owner's chosen passphrase")
    output = run("bootstrap", "--no-input", "--example-on-first-run")
    assert "Example household loaded" in output
    assert role_of(User.objects.get(username="charlie")) == Role.CARETAKER
    User.objects.filter(username="sam").delete()
    run("bootstrap", "--no-input", "--example-on-first-run")
    assert not User.objects.filter(username="sam").exists()  # deleted stays deleted
    run("bootstrap", "--no-input", "--example")
    assert User.objects.filter(username="sam").exists()  # asked for explicitly


def test_add_member_refuses_an_existing_username():
    run("add_member", "bob", "--role", "family", "--email", "bob@example.com")
    with pytest.raises(CommandError, match="bob already exists"):
        call_command("add_member", "bob", "--role", "owner")
    bob = User.objects.get(username="bob")
    assert bob.email == "bob@example.com"
    assert role_of(bob) == Role.FAMILY


def test_add_member_refuses_a_weak_password():
    with pytest.raises(CommandError, match="too short"):
        call_command("add_member", "bob", "--role", "family", "--password", "abc")
    assert not User.objects.filter(username="bob").exists()


def test_bootstrap_refuses_a_weak_owner_password_and_reads_the_file_variant(monkeypatch, tmp_path):
    monkeypatch.setenv("HOMEOPS_OWNER_PASSWORD", "123")
    with pytest.raises(CommandError, match="The owner's password is too weak"):
        call_command("bootstrap", "--no-input")
    monkeypatch.delenv("HOMEOPS_OWNER_PASSWORD")
    secret = tmp_path / "owner-password"
    secret.write_text("a passphrase from a file\n")
    monkeypatch.setenv("HOMEOPS_OWNER_PASSWORD_FILE", str(secret))
    run("bootstrap", "--no-input")
    assert User.objects.get(username="owner").check_password("a passphrase from a file")
