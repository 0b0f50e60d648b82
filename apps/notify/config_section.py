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

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from apps.core import config, rules
from apps.notify.models import Channel, ChannelKind, EventKind

FIELDS = {
    "name",
    "kind",
    "url_env",
    "target",
    "events",
    "quiet_from",
    "quiet_until",
    "reminder_minutes",
    "enabled",
}
NEEDS_URL = {ChannelKind.DISCORD, ChannelKind.WEBHOOK, ChannelKind.NTFY, ChannelKind.APPRISE}


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
    config.duplicates(items, "name", "channels", report)
    rows = []
    for index, item in enumerate(items):
        path = ("channels", index)
        if not config.check_keys(item, path, report, FIELDS, {"name", "kind"}):
            continue
        kind = config.choice(item, "kind", path, report, list(ChannelKind.values))
        row = {
            "name": config.text(item, "name", path, report, max_length=100),
            "kind": kind,
            "url_env": config.text(item, "url_env", path, report, max_length=100),
            "target": config.text(item, "target", path, report, max_length=254),
            "events": _events(item, path, report),
            "quiet_from": config.clock(item, "quiet_from", path, report),
            "quiet_until": config.clock(item, "quiet_until", path, report),
            "reminder_minutes": _minutes(item, path, report),
            "enabled": config.flag(item, "enabled", path, report, True),
        }
        if not row["name"]:
            report.error((*path, "name"), "must not be empty")
        if kind in NEEDS_URL:
            if not row["url_env"]:
                report.error(path, f"url_env is required for {kind}: the environment variable that holds the URL")
            elif problem := rules.env_name_problem(row["url_env"]):
                report.error((*path, "url_env"), problem)
            if row["target"]:
                report.error((*path, "target"), "only email channels have a target; this one uses url_env")
        elif kind == ChannelKind.EMAIL:
            if row["url_env"]:
                report.error((*path, "url_env"), "email channels use target (an address), not url_env")
            if not row["target"]:
                report.error(path, "target is required for email: the address that receives alerts")
            else:
                try:
                    validate_email(row["target"])
                except ValidationError:
                    report.error((*path, "target"), "not an email address")
        if (row["quiet_from"] is None) != (row["quiet_until"] is None):
            report.error(path, "quiet_from and quiet_until go together: give both or neither")
        rows.append(row)
    return rows


def _events(item: dict, path: config.Path, report: config.Report) -> list[str]:
    value = item.get("events", list(EventKind.values))
    if not isinstance(value, list):
        report.error((*path, "events"), f"must be a list among {', '.join(EventKind.values)}")
        return []
    for position, event in enumerate(value):
        if event not in EventKind.values:
            report.error((*path, "events", position), f"must be one of {', '.join(EventKind.values)} (got {event!r})")
    return [e for e in EventKind.values if e in value]


def _minutes(item: dict, path: config.Path, report: config.Report) -> int:
    value = item.get("reminder_minutes", 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 7 * 24 * 60:
        report.error((*path, "reminder_minutes"), "must be a whole number of minutes from 0 (off) to 10080")
        return 0
    return value


def apply(rows: list[dict[str, Any]]) -> Counter:
    counts: Counter = Counter(created=0, updated=0, unchanged=0)
    for row in rows:
        channel = Channel.objects.filter(name=row["name"]).first()
        if channel is None:
            Channel.objects.create(**row)
            counts["created"] += 1
            continue
        changed = [key for key, value in row.items() if getattr(channel, key) != value]
        if not changed:
            counts["unchanged"] += 1
            continue
        for key in changed:
            setattr(channel, key, row[key])
        if channel.enabled:  # switched on by the file: the old reason no longer applies
            channel.disabled_reason = ""
            changed.append("disabled_reason")
        channel.save(update_fields=changed)
        counts["updated"] += 1
    return counts


SECTION = config.Section(
    name="channels",
    order=40,
    export=export,
    validate=validate,
    apply=apply,
    help="Where alerts go (Discord, email, webhook, ntfy, Apprise); secrets stay in the environment (url_env).",
)
