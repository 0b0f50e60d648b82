"""Shared fixtures. The people in these tests:
Alice owns the house; Bob is family; Charlie is the friend looking after it (caretaker)."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts import services
from apps.accounts.roles import Role

PASSWORD = "correct horse battery staple"


def pytest_sessionstart(session):
    """As in production, static files are collected before the app starts: WhiteNoise reads
    them once, when the ASGI application is built, and test modules import it while they
    are collected."""
    from django.core.management import call_command

    call_command("collectstatic", "--no-input", "--verbosity", "0")


@pytest.fixture(autouse=True)
def _separate_cache_and_data(settings, tmp_path):
    # xdist workers share one Redis: a fresh key prefix per test keeps rate-limit counters and
    # other cached values from leaking between tests (clear() would flush the others' keys).
    prefix = f"homeops-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {name: {**conf, "KEY_PREFIX": prefix} for name, conf in settings.CACHES.items()}
    settings.MEDIA_ROOT = tmp_path / "media"
    # Served from the source folders, as the live server's static handler expects;
    # tests/core/test_static.py proves the production (manifest) build separately.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # PBKDF2's deliberate slowness costs ~0.3 s per member; tests do not need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    shutil.rmtree(tmp_path / "media", ignore_errors=True)


def make_member(username: str, role: Role, **kwargs):
    services.groups_ensure()
    return services.member_save(
        username=username, role=role, password=PASSWORD, email=f"{username}@example.com", **kwargs
    )


@pytest.fixture
def alice(db):
    return make_member("alice", Role.OWNER)


@pytest.fixture
def bob(db):
    return make_member("bob", Role.FAMILY)


@pytest.fixture
def charlie(db):
    now = timezone.now()
    return make_member(
        "charlie", Role.CARETAKER, access_from=now - timedelta(days=1), access_until=now + timedelta(days=7)
    )


def signed_in(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def redis_server():
    """A redis-server of this test's own, which it may freeze (tests/fixtures/redis_server.py)."""
    from tests.fixtures.redis_server import RedisServer

    server = RedisServer().start()
    yield server
    server.stop()  # thaws it first
