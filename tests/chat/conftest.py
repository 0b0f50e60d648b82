"""Chat tests run against the same uvicorn + fake backends as the gateway's."""

import pytest

from tests.gateway.conftest import _fresh_snapshot, bob, gateway_url, llm, macbook, make_backend, make_route  # noqa: F401 (fixtures)


@pytest.fixture
def assistant(llm, transactional_db):  # noqa: F811 (llm: the fixture above)
    """A route "assistant" to the fake backend."""
    make_route("assistant", (make_backend("studio", llm), "llama3.1:8b"))
