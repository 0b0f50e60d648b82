import pytest

from tests.fixtures.http_server import LocalHTTPServer


@pytest.fixture
def http_server():
    server = LocalHTTPServer().start()
    yield server
    server.stop()
