"""The gateway under test is the ASGI application the README deploys, served by a real
uvicorn on 127.0.0.1, in front of real fake backends (tests/fixtures/fake_llm.py), and
driven by the official `openai` client."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from apps.accounts.roles import Role
from apps.gateway import audit, services, snapshot
from apps.gateway.models import Backend, Policy, Route, Target
from tests.fixtures.fake_llm import FakeLLM
from tests.fixtures.uvicorn_server import UvicornServer


@pytest.fixture(scope="session")
def gateway_url():
    from homeops.asgi import application  # static files are collected first (tests/conftest.py)

    server = UvicornServer(application).start()
    yield server.url("")
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_snapshot():
    snapshot._current, snapshot._version_seen = None, (0.0, None)
    snapshot.forget_states()
    yield
    audit.writer.flush()  # this test's audit rows, before its data goes
    snapshot._current = None


@pytest.fixture
def llm():
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture
def macbook():
    """The fallback: a second backend with a smaller model."""
    server = FakeLLM(models=("llama3.2:3b",)).start()
    yield server
    server.stop()


@pytest.fixture
def bob(transactional_db):
    from tests.conftest import make_member

    return make_member("bob", Role.FAMILY)


@pytest.fixture
def ollama():
    server = FakeLLM(flavour="ollama").start()
    yield server
    server.stop()


def make_backend(name: str, server: FakeLLM | None = None, *, url: str = "", **fields) -> Backend:
    kind = server.flavour if server else fields.pop("kind", "openai")
    backend = Backend(name=name, kind=kind, base_url=url or server.root, timeout=fields.pop("timeout", 5), **fields)
    return services.backend_save(backend)  # through the service, as the pages do: it announces the change


def make_route(alias: str, *targets: tuple[Backend, str], workload: str = "chat", **target_fields) -> Route:
    route = services.route_save(Route(alias=alias, workload=workload, description=f"{alias} for tests"))
    services.route_set_targets(route, [Target(backend=b, model=model, **target_fields) for b, model in targets])
    return route


def api(gateway_url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway_url}/v1", api_key=key, max_retries=0, timeout=20)


def wait_for(predicate, timeout: float = 5.0):
    """Audit rows are written after the answer has gone out: poll for them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def key_for(transactional_db):
    def make(user, name: str = "tests") -> str:
        return services.api_key_create(member=user, name=name)[1]

    return make


@pytest.fixture
def raw(gateway_url):
    with httpx.Client(base_url=gateway_url, timeout=20) as client:
        yield client


def policy(role: Role | None = None, member=None, **fields) -> Policy:
    return services.policy_save(Policy(role=role or "", member=member, **fields))
