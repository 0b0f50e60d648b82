"""The transport contract, as in Healthchecks' hc/api/transports.py: `notify(event)` returns
nothing or raises TransportError; `permanent=True` means retrying cannot help (the channel is
turned off and its page says why). Error texts never contain the secret URL."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings

from homeops import redact

if TYPE_CHECKING:
    from apps.notify.events import Event
    from apps.notify.models import Channel

TIMEOUT = 10.0  # seconds; the deliver task's time limit (tasks.py) allows three attempts


class TransportError(Exception):
    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Transport:
    label = "channel"

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def is_noop(self, event: Event) -> bool:
        """True: this channel does not want this kind of event."""
        return not self.channel.wants(event.kind)

    def notify(self, event: Event) -> None:
        raise NotImplementedError

    def secret_url(self) -> str:
        """The URL from the environment variable the channel names; read at send time only."""
        env = self.channel.url_env
        if not env:
            raise TransportError("no environment variable is named for the URL", permanent=True)
        value = os.environ.get(env, "").strip()
        if not value:
            raise TransportError(f"the environment variable {env} is not set", permanent=True)
        redact.remember_url(value, label=f"${env}")  # the HTTP client would log it
        return value

    def scrub(self, text: str) -> str:
        """Remove the secret from an error text before it is stored, shown or logged: the URL
        (shown as its variable's name), and the parts of it a receiver may echo (a webhook's
        path and token, a password), hidden as everywhere else (homeops.redact.scrub)."""
        env = self.channel.url_env
        secret = os.environ.get(env, "").strip() if env else ""
        if not secret:
            return redact.scrub(text, foreign=True)
        parts = urlsplit(secret)
        pieces = [parts.path, parts.query, parts.password or "", parts.path.rstrip("/").rpartition("/")[2]]
        if parts.query:
            pieces.append(f"{parts.path}?{parts.query}")
        known = {**dict.fromkeys(pieces, redact.HIDDEN), secret: f"${env}"}
        return redact.scrub(text, known=known, foreign=True)

    @property
    def household(self) -> str:
        return settings.HOUSEHOLD_NAME
