"""ntfy: POST the text to the topic URL, with Title, Priority and Tags headers.
https://docs.ntfy.sh/publish/ (non-ASCII header values use RFC 2047 encoded words)."""

from __future__ import annotations

import base64

from apps.notify.events import Event
from apps.notify.transports import http
from apps.notify.transports.base import Transport

TAGS = {
    "down": "rotating_light",
    "reminder": "rotating_light",
    "recovered": "white_check_mark",
    "degraded": "warning",
    "heartbeat_late": "hourglass",
    "digest": "zzz",
    "test": "wave",
}


def priority(event: Event) -> str:
    if event.kind in ("down", "reminder"):
        return "urgent" if event.critical else "high"
    return "default"


def header(value: str) -> str:
    if value.isascii():
        return value
    return "=?UTF-8?B?" + base64.b64encode(value.encode()).decode() + "?="


def headers(event: Event) -> dict[str, str]:
    return {"Title": header(event.title), "Priority": priority(event), "Tags": TAGS.get(event.kind, "bell")}


class NtfyTransport(Transport):
    label = "ntfy"

    def notify(self, event: Event) -> None:
        http.post(
            self,
            self.secret_url(),
            content=event.text.encode(),
            headers={**headers(event), "Content-Type": "text/plain; charset=utf-8"},
        )
