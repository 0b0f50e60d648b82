"""The gateway's snapshot reloads when something it reads changes, and only then: a member
signing in writes last_login, which must not make every process reload."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from apps.accounts import services
from apps.accounts.roles import Role
from apps.gateway import snapshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_signing_in_does_not_reload_the_snapshot(client, bob):
    before = cache.get(snapshot.VERSION_KEY)
    assert client.post("/accounts/login/", {"login": "bob", "password": PASSWORD}).status_code == 302
    bob.refresh_from_db()
    assert bob.last_login is not None
    assert cache.get(snapshot.VERSION_KEY) == before


def test_a_member_whose_role_changes_reloads_it(bob):
    before = cache.get(snapshot.VERSION_KEY)
    services.member_save(username="bob", role=Role.CARETAKER)
    assert cache.get(snapshot.VERSION_KEY) != before
