"""The notify tests' real receivers (an HTTP server and an SMTP server) for reminder tests."""

from tests.notify.conftest import mailbox, make_channel, receiver  # noqa: F401 (fixtures)
