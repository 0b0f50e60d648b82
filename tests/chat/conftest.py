"""Chat tests run against the same uvicorn + fake backends as the gateway's."""

from tests.gateway.conftest import _fresh_snapshot, gateway_url, llm  # noqa: F401 (fixtures)
