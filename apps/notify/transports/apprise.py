"""Apprise: the long tail of services (Pushover, Telegram, Matrix ...) from one URL in url_env.
https://github.com/caronc/apprise/wiki"""

from __future__ import annotations

import apprise

from apps.notify.events import Event
from apps.notify.transports.base import Transport, TransportError

TYPES = {"down": "failure", "reminder": "failure", "recovered": "success", "degraded": "warning"}
TYPES["heartbeat_late"] = "warning"


class AppriseTransport(Transport):
    label = "Apprise"

    def notify(self, event: Event) -> None:
        sender = apprise.Apprise()
        if not sender.add(self.secret_url()):
            raise TransportError(f"Apprise does not understand the URL in {self.channel.url_env}", permanent=True)
        ok = sender.notify(title=event.title, body=event.text, notify_type=TYPES.get(event.kind, "info"))
        if not ok:
            raise TransportError("Apprise could not deliver it (its log says why)")
