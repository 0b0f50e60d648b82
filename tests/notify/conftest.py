"""Real local receivers for alerts: an HTTP server that records what it was sent (Discord,
webhooks, ntfy, Apprise's json://) and an SMTP server (aiosmtpd) for email."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from apps.notify.models import Channel
from tests.fixtures.http_server import LocalHTTPServer
from tests.fixtures.ports import free_port
from tests.fixtures.threaded import ThreadedServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class Reply:
    status: int = 204
    body: str = ""
    delay: float = 0.0


@dataclass
class Receiver(ThreadedServer):
    """Answers each path as told (204 by default) and records every POST."""

    replies: dict[str, list[Reply]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reply(self, path: str, *replies: Reply) -> str:
        """Answer `path` with these replies in turn; the last one repeats."""
        self.replies[path] = list(replies)
        return self.url(path)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def start(self) -> Receiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                owner.received.append(Received(self.path, dict(self.headers.items()), body))
                queue = owner.replies.get(self.path) or [Reply()]
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
                if reply.delay:
                    time.sleep(reply.delay)
                data = reply.body.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args) -> None:
                pass

        return self._serve(Handler)


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def http_server():
    """The status tests' server, for services the engine polls."""
    server = LocalHTTPServer().start()
    yield server
    server.stop()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope: Envelope, address: str, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope: Envelope):  # noqa: N802 (aiosmtpd's naming)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"


@pytest.fixture
def mailbox(settings):
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_CONFIGURED = True
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield box
    controller.stop()


@pytest.fixture
def quick(monkeypatch):
    """No waiting between attempts; a 1-second transport timeout for the slow-receiver tests."""
    monkeypatch.setattr("apps.notify.services.BACKOFF", (0.0, 0.0))
    monkeypatch.setattr("apps.notify.transports.http.TIMEOUT", 1.0)


@pytest.fixture
def make_channel(db, monkeypatch):
    """A channel whose URL lives in an environment variable, as in production."""

    def make(name: str, kind: str, url: str = "", **kwargs) -> Channel:
        if url:
            env = f"HOMEOPS_TEST_{name.upper().replace(' ', '_')}_URL"
            monkeypatch.setenv(env, url)
            kwargs["url_env"] = env
        return Channel.objects.create(name=name, kind=kind, **kwargs)

    return make
