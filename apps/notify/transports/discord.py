"""Discord webhook: {"content": ..., "embeds": [...]} to the URL in the channel's url_env.
https://discord.com/developers/docs/resources/webhook#execute-webhook"""

from __future__ import annotations

from apps.notify.events import Event
from apps.notify.transports import http
from apps.notify.transports.base import Transport

COLORS = {"down": 0xD93025, "reminder": 0xD93025, "recovered": 0x1E8E3E, "degraded": 0xF29900}
COLORS["heartbeat_late"] = COLORS["degraded"]
DEFAULT_COLOR = 0x5F6368


def payload(event: Event, household: str) -> dict:
    embed = {
        "title": event.title[:256],
        "description": event.text[:4096],
        "color": COLORS.get(event.kind, DEFAULT_COLOR),
        "timestamp": event.created,
        "footer": {"text": f"{household} · HomeOps"},
    }
    if event.services:
        embed["fields"] = [{"name": "Services", "value": ", ".join(event.services)[:1024], "inline": False}]
    # Discord shows `content` in the push notification; the embed carries the details.
    return {"content": event.text[:2000], "embeds": [embed], "allowed_mentions": {"parse": []}}


class DiscordTransport(Transport):
    label = "Discord"

    def notify(self, event: Event) -> None:
        http.post(self, self.secret_url(), json=payload(event, self.household))
