"""Chat tests run against the same uvicorn + fake backends as the gateway's."""

from tests.gateway.conftest import _fresh_snapshot, bob, gateway_url, llm, macbook  # noqa: F401 (fixtures)
