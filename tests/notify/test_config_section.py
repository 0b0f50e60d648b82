"""The `channels` section: round trip, errors located by YAML path, no secrets."""

from __future__ import annotations

import textwrap
from datetime import time

import pytest
import yaml

from apps.core import config
from apps.notify.models import Channel

pytestmark = pytest.mark.django_db

DOC = textwrap.dedent(
    """\
    channels:
      - name: Discord
        kind: discord
        url_env: HOMEOPS_DISCORD_URL
        events: [down, recovered, heartbeat_late]
        quiet_from: 22:00
        quiet_until: "07:30"
        reminder_minutes: 60
      - name: Owner's mail
        kind: email
        target: owner@example.com
        enabled: false
    """
)


def test_channels_import_and_round_trip():
    result = config.import_text(DOC)
    assert result.ok, result.errors
    discord = Channel.objects.get(name="Discord")
    assert discord.url_env == "HOMEOPS_DISCORD_URL"
    assert discord.events == ["down", "recovered", "heartbeat_late"]
    assert (discord.quiet_from, discord.quiet_until) == (time(22), time(7, 30))  # unquoted 22:00 too
    assert discord.reminder_minutes == 60
    mail = Channel.objects.get(name="Owner's mail")
    assert not mail.enabled and mail.events == ["down", "recovered", "degraded", "heartbeat_late"]
    exported = config.export_text()
    assert "channels: 0 new, 0 changed, 2 unchanged" in config.import_text(exported).summary()
    rows = yaml.safe_load(exported)["channels"]
    assert rows[0]["quiet_from"] == "22:00"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{name: D, kind: discord}", "channels[0].url_env: Name the environment variable that holds the URL"),
        (
            "{name: D, kind: discord, url_env: 'https://discord.com/api/webhooks/1/x'}",
            "channels[0].url_env: name the environment variable that holds the URL",
        ),
        ("{name: D, kind: pager, url_env: X}", "channels[0].kind: must be one of discord"),
        ("{name: M, kind: email}", "channels[0].target: Give the address that receives alerts."),
        ("{name: M, kind: email, target: nope}", "channels[0].target: Write an email address"),
        ("{name: D, kind: ntfy, url_env: X, events: [down, fire]}", "channels[0].events: must be among down, recov"),
        ("{name: D, kind: ntfy, url_env: X, events: down}", "channels[0].events: must be a list among down"),
        ("{name: D, kind: ntfy, url_env: X, quiet_from: '22:00'}", "channels[0].quiet_until: Give both ends of the"),
        ("{name: M, kind: email, target: a@b.org, url_env: X}", "channels[0].url_env: Email channels send to an"),
        ("{name: D, kind: ntfy, url_env: X, quiet_from: soon, quiet_until: '7:00'}", "channels[0].quiet_from: not a"),
        ("{name: D, kind: ntfy, url_env: X, reminder_minutes: -5}", "channels[0].reminder_minutes: must be from 0 to"),
        ("{name: D, kind: ntfy, url_env: X, reminder_minutes: 1.5}", "channels[0].reminder_minutes: must be a whole"),
        ("{name: D, kind: ntfy, url_env: 'X Y'}", "channels[0].url_env: letters, digits and _ only"),
        ("{name: '', kind: ntfy, url_env: X}", "channels[0].name: Give the channel a name, like Family Discord."),
        ("{name: D, kind: ntfy, url: X}", "channels[0].url: unknown field"),
    ],
)
def test_errors_name_the_yaml_path(entry, message):
    result = config.import_text(f"channels:\n  - {entry}\n")
    assert not result.ok
    assert any(str(error).startswith(message) for error in result.errors), [str(e) for e in result.errors]
    assert not Channel.objects.exists()


def test_duplicate_names_are_reported_with_their_line():
    result = config.import_text(
        "channels:\n  - {name: A, kind: ntfy, url_env: X}\n  - {name: A, kind: ntfy, url_env: Y}\n"
    )
    assert [str(e) for e in result.errors] == ["channels[1].name: 'A' appears twice (first at channels[0]), line 3"]


def test_import_switching_a_channel_on_clears_why_it_was_off():
    Channel.objects.create(name="D", kind="ntfy", url_env="X", enabled=False, disabled_reason="404")
    assert config.import_text("channels:\n  - {name: D, kind: ntfy, url_env: X}\n").ok
    channel = Channel.objects.get()
    assert channel.enabled and channel.disabled_reason == ""
