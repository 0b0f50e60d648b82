"""The gateway's snapshot reloads when something it reads changes, and only then: a member
signing in writes last_login, which must not make every process reload. A configuration change
(a page, the configuration file, a service) announces itself once, after its commit."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from apps.accounts import services as accounts_services
from apps.accounts.roles import Role
from apps.core import config
from apps.gateway import services, snapshot
from apps.gateway.models import Policy, Route
from tests.conftest import PASSWORD, make_member, signed_in
from tests.gateway.conftest import make_backend, make_route
from tests.gateway.test_pages import backend_data, policy_data, route_data

pytestmark = pytest.mark.django_db(transaction=True)


def test_signing_in_does_not_reload_the_snapshot(client, bob):
    before = cache.get(snapshot.VERSION_KEY)
    assert client.post("/accounts/login/", {"login": "bob", "password": PASSWORD}).status_code == 302
    bob.refresh_from_db()
    assert bob.last_login is not None
    assert cache.get(snapshot.VERSION_KEY) == before


def test_a_member_whose_role_changes_reloads_it(bob):
    before = cache.get(snapshot.VERSION_KEY)
    accounts_services.member_save(username="bob", role=Role.CARETAKER)
    assert cache.get(snapshot.VERSION_KEY) != before


# --- Configuration changes announce themselves: once, after the commit ----------------------


@contextmanager
def announced(times: int):
    """Inside one transaction: `times` reloads wait for the commit and none has happened yet;
    after it, the version has moved (or, for none, has not)."""
    before = cache.get(snapshot.VERSION_KEY)
    with transaction.atomic():
        yield
        pending = [call for _, call, _ in transaction.get_connection().run_on_commit if call is snapshot.bump]
        assert len(pending) == times
        assert cache.get(snapshot.VERSION_KEY) == before  # not before the commit
    assert (cache.get(snapshot.VERSION_KEY) != before) == bool(times)


def test_a_route_saved_on_its_page_announces_once(client):
    studio = make_backend("studio", url="http://127.0.0.1:9/v1")
    macbook = make_backend("macbook", url="http://127.0.0.1:10/v1")
    signed_in(client, make_member("alice", Role.OWNER))
    targets = ({"backend": studio.pk, "model": "llama3.1:8b"}, {"backend": macbook.pk, "model": "llama3.2:3b"})
    with announced(1):
        assert client.post(reverse("gateway:route_new"), route_data(*targets)).status_code == 302
    assert Route.objects.get().targets.count() == 2


@pytest.mark.parametrize(
    ("page", "data"),
    [
        ("gateway:backend_new", backend_data(name="lab")),
        ("gateway:policy_new", policy_data()),
        ("gateway:content_logging", {"log_content": "on"}),
        ("gateway:keys", {"name": "laptop"}),
    ],
)
def test_a_change_on_a_settings_page_announces_once(client, page, data):
    signed_in(client, make_member("alice", Role.OWNER))
    with announced(1):
        assert client.post(reverse(page), data).status_code in (200, 302)


def test_a_deletion_on_the_settings_page_announces_once(client):
    route = make_route("assistant", (make_backend("studio", url="http://127.0.0.1:9/v1"), "llama3.1:8b"))
    signed_in(client, make_member("alice", Role.OWNER))
    with announced(1):
        client.post(reverse("gateway:delete", args=["route", route.pk]))
    assert not Route.objects.exists()


def test_a_configuration_file_announces_once(bob):
    document = """
backends:
  - {name: studio, base_url: "http://127.0.0.1:9/v1"}
routes:
  - alias: assistant
    targets: [{backend: studio, model: "llama3.1:8b"}, {backend: studio, model: "llama3.2:3b"}]
policies:
  - {role: family, daily_tokens: 1000}
  - {member: bob, max_streams: 1}
"""
    with announced(1):
        assert config.import_text(document).ok
    with announced(0):  # the same file again changes nothing
        assert config.import_text(document).counts["routes"]["unchanged"] == 1


def test_a_service_announces_once_and_a_rolled_back_change_not_at_all(bob):
    with announced(1):
        services.policy_save(Policy(role=Role.FAMILY, daily_tokens=10))
        services.api_key_create(member=bob, name="n8n")
    before = cache.get(snapshot.VERSION_KEY)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.policy_save(Policy(member=bob, max_streams=1))
        raise RuntimeError("the caller fails after the write")
    assert cache.get(snapshot.VERSION_KEY) == before and not Policy.objects.filter(member=bob).exists()


def test_signing_in_announces_nothing(client, bob):
    with announced(0):
        assert client.post("/accounts/login/", {"login": "bob", "password": PASSWORD}).status_code == 302
