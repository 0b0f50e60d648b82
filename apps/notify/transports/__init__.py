"""One module per channel kind; `transport_for(channel)` picks the right one."""

from __future__ import annotations

from apps.notify.models import Channel, ChannelKind
from apps.notify.transports.apprise import AppriseTransport
from apps.notify.transports.base import Transport, TransportError
from apps.notify.transports.discord import DiscordTransport
from apps.notify.transports.email import EmailTransport
from apps.notify.transports.ntfy import NtfyTransport
from apps.notify.transports.webhook import WebhookTransport

TRANSPORTS: dict[str, type[Transport]] = {
    ChannelKind.DISCORD: DiscordTransport,
    ChannelKind.EMAIL: EmailTransport,
    ChannelKind.WEBHOOK: WebhookTransport,
    ChannelKind.NTFY: NtfyTransport,
    ChannelKind.APPRISE: AppriseTransport,
}


def transport_for(channel: Channel) -> Transport:
    return TRANSPORTS[channel.kind](channel)


__all__ = ["TRANSPORTS", "Transport", "TransportError", "transport_for"]
