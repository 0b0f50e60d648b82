"""Generic JSON webhook: a POST of the event as JSON, for n8n, Home Assistant and the like."""

from __future__ import annotations

from apps.notify.events import Event
from apps.notify.transports import http
from apps.notify.transports.base import Transport


def payload(event: Event, household: str) -> dict:
    return {
        "event": event.kind,
        "title": event.title,
        "text": event.text,
        "services": event.services,
        "state": event.state,
        "critical": event.critical,
        "created": event.created,
        "household": household,
    }


class WebhookTransport(Transport):
    label = "webhook"

    def notify(self, event: Event) -> None:
        http.post(self, self.secret_url(), json=payload(event, self.household))
