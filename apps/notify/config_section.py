"""The `channels` section of the config file.

    channels:
      - name: Discord
        kind: discord
        url_env: HOMEOPS_DISCORD_URL      # the NAME of the variable; the URL stays in the environment
        events: [down, recovered, degraded, heartbeat_late]
        quiet_from: "22:00"
        quiet_until: "07:00"
        reminder_minutes: 0
      - name: Owner's mail
        kind: email
        target: owner@example.com

Each entry is the whole definition (a field left out takes its default); import upserts by
name and never deletes. No secret is exported: there is none stored to export.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from apps.core import config
from apps.notify import services
from apps.notify.models import CHANNEL_FIELDS, Channel, EventKind, all_events

# Lengths and every other rule are the model's; this bound only keeps a pasted essay out of the messages.
_LONG = 10_000


def export() -> list[dict[str, Any]]:
    rows = []
    for channel in Channel.objects.order_by("name"):
        row: dict[str, Any] = {"name": channel.name, "kind": channel.kind}
        if channel.url_env:
            row["url_env"] = channel.url_env
        if channel.target:
            row["target"] = channel.target
        row["events"] = [e for e in EventKind.values if e in (channel.events or [])]
        if channel.quiet_from and channel.quiet_until:
            row["quiet_from"] = config.clock_text(channel.quiet_from)
            row["quiet_until"] = config.clock_text(channel.quiet_until)
        if channel.reminder_minutes:
            row["reminder_minutes"] = channel.reminder_minutes
        if not channel.enabled:
            row["enabled"] = False
        rows.append(row)
    return rows


def validate(items: list[Any], report: config.Report, document: dict[str, Any]) -> list[dict[str, Any]]:
    """Translate each entry into a Channel and let the model judge it (config.model_errors)."""
    config.duplicates(items, "name", "channels", report)
    rows = []
    for index, item in enumerate(items):
        path = ("channels", index)
        if not config.check_keys(item, path, report, set(CHANNEL_FIELDS), {"name", "kind"}):
            continue
        known = len(report.errors)
        channel = Channel()  # judged as new: uniqueness of the name is the upsert's business
        channel.name = config.text(item, "name", path, report, max_length=_LONG)
        channel.kind = config.text(item, "kind", path, report, max_length=_LONG)
        channel.url_env = config.text(item, "url_env", path, report, max_length=_LONG)
        channel.target = config.text(item, "target", path, report, max_length=_LONG)
        channel.events = item.get("events", all_events())
        channel.quiet_from = config.clock(item, "quiet_from", path, report)
        channel.quiet_until = config.clock(item, "quiet_until", path, report)
        channel.reminder_minutes = config.number(item, "reminder_minutes", path, report, 0)
        channel.enabled = config.flag(item, "enabled", path, report, True)
        # A value of the wrong type is reported once, not again by the rules it could not reach.
        if len(report.errors) == known and config.model_errors(channel, path, report):
            rows.append({field: getattr(channel, field) for field in CHANNEL_FIELDS})
    return rows


def apply(rows: list[dict[str, Any]]) -> Counter:
    return config.upsert(Channel, rows, save=services.channel_save).counts


HELP = "Where alerts go (Discord, email, webhook, ntfy, Apprise); secrets stay in the environment (url_env)."
SECTION = config.Section(name="channels", order=40, export=export, validate=validate, apply=apply, help=HELP)
