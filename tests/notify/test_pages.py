"""The channels pages: Alice (owner) manages channels; Bob (family) gets a 403; no secret is shown."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.core import config
from apps.notify.models import Channel, Delivery
from tests.conftest import signed_in
from tests.notify.conftest import Reply

pytestmark = pytest.mark.django_db
SECRET_PATH = "/api/webhooks/42/very-secret-token"


def form(**values) -> dict:
    data = {"name": "Discord", "kind": "discord", "url_env": "", "target": "", "reminder_minutes": "0"}
    data.update(values)
    data.setdefault("events", ["down", "recovered"])
    data.setdefault("enabled", "on")
    return data


def test_the_empty_page_says_what_to_do(client, alice):
    response = signed_in(client, alice).get(reverse("notify:channels"))
    assert response.status_code == 200
    assert "No alert channels yet" in response.content.decode()


def test_family_may_not_see_or_change_channels(client, bob):
    signed_in(client, bob)
    assert client.get(reverse("notify:channels")).status_code == 403
    assert client.post(reverse("notify:channel_add"), form()).status_code == 403
    assert not Channel.objects.exists()


def test_settings_links_to_the_channels_page(client, alice):
    response = signed_in(client, alice).get(reverse("core:settings"))
    assert reverse("notify:channels") in response.content.decode()


def test_adding_a_channel_names_a_missing_environment_variable(client, alice, monkeypatch):
    monkeypatch.delenv("HOMEOPS_DISCORD_URL", raising=False)
    signed_in(client, alice)
    response = client.post(reverse("notify:channel_add"), form(url_env="HOMEOPS_DISCORD_URL"))
    assert response.status_code == 200
    assert "The environment variable HOMEOPS_DISCORD_URL is not set" in response.content.decode()
    assert not Channel.objects.exists()


def test_a_url_pasted_where_the_variable_name_goes_is_refused(client, alice):
    signed_in(client, alice)
    response = client.post(reverse("notify:channel_add"), form(url_env="https://discord.com/api/webhooks/1/x"))
    assert "not the URL itself" in response.content.decode()
    assert not Channel.objects.exists()


def test_an_email_channel_needs_an_address(client, alice):
    response = signed_in(client, alice).post(reverse("notify:channel_add"), form(kind="email", name="Mail"))
    assert "Give the address that receives alerts." in response.content.decode()


def test_add_edit_and_send_a_test_without_ever_showing_the_secret(client, alice, receiver, monkeypatch):
    monkeypatch.setenv("HOMEOPS_DISCORD_URL", receiver.url(SECRET_PATH))
    signed_in(client, alice)
    response = client.post(reverse("notify:channel_add"), form(url_env="HOMEOPS_DISCORD_URL", quiet_from="22:00"))
    assert "Give both ends of the quiet hours" in response.content.decode()
    response = client.post(
        reverse("notify:channel_add"), form(url_env="HOMEOPS_DISCORD_URL", quiet_from="22:00", quiet_until="07:00")
    )
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert channel.events == ["down", "recovered"] and channel.quiet_from.hour == 22

    response = client.post(reverse("notify:channel_test", args=[channel.pk]), follow=True)
    page = response.content.decode()
    assert "Discord: Sent. Check Discord for the test message." in page
    assert receiver.at(SECRET_PATH)[0].json["content"].startswith("This is a test from")
    assert "sent" in page and "HOMEOPS_DISCORD_URL" in page

    edit = client.get(reverse("notify:channel_edit", args=[channel.pk])).content.decode()
    export = client.get(reverse("core:config_export")).content.decode()
    for html in (page, edit, export):
        assert "very-secret-token" not in html
        assert receiver.url("") not in html
    assert "url_env: HOMEOPS_DISCORD_URL" in export


def test_a_permanent_failure_is_shown_in_plain_words(client, alice, receiver, monkeypatch):
    monkeypatch.setenv("HOMEOPS_HOOK_URL", receiver.reply(SECRET_PATH, Reply(401, "invalid token")))
    channel = Channel.objects.create(name="Hook", kind="webhook", url_env="HOMEOPS_HOOK_URL")
    signed_in(client, alice)
    page = client.post(reverse("notify:channel_test", args=[channel.pk]), follow=True).content.decode()
    assert "Hook: Not sent: the receiver answered 401 Unauthorized: invalid token." in page
    assert "The channel is now off" in page
    assert "badge bad" in page and "Turned off" in page  # the list shows why it is off
    channel.refresh_from_db()
    assert not channel.enabled
    # Fixing and switching it back on clears the reason.
    response = client.post(
        reverse("notify:channel_edit", args=[channel.pk]), form(name="Hook", kind="webhook", url_env="HOMEOPS_HOOK_URL")
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.enabled and channel.disabled_reason == ""
    assert "very-secret-token" not in page


def test_removing_a_channel(client, alice):
    channel = Channel.objects.create(name="Mail", kind="email", target="alice@example.com")
    Delivery.objects.create(channel=channel, kind="test", summary="hello", ok=True)
    signed_in(client, alice)
    assert client.post(reverse("notify:channel_delete", args=[channel.pk])).status_code == 302
    assert not Channel.objects.exists() and not Delivery.objects.exists()


def test_export_never_holds_the_secret(receiver, monkeypatch, db):
    monkeypatch.setenv("HOMEOPS_DISCORD_URL", receiver.url(SECRET_PATH))
    Channel.objects.create(name="Discord", kind="discord", url_env="HOMEOPS_DISCORD_URL")
    text = config.export_text()
    assert "very-secret-token" not in text and "HOMEOPS_DISCORD_URL" in text


def test_the_list_says_when_a_named_variable_is_missing_without_showing_values(client, alice, monkeypatch):
    monkeypatch.delenv("HOMEOPS_GONE_URL", raising=False)
    Channel.objects.create(name="Gone", kind="ntfy", url_env="HOMEOPS_GONE_URL")
    page = signed_in(client, alice).get(reverse("notify:channels")).content.decode()
    assert "URL from $HOMEOPS_GONE_URL" in page
    assert "not set</span> add it to the environment file and restart HomeOps" in page


def test_email_channels_need_email_to_be_set_up(client, alice, settings):
    settings.EMAIL_CONFIGURED = False
    response = signed_in(client, alice).post(
        reverse("notify:channel_add"), form(kind="email", name="Mail", target="alice@example.com")
    )
    assert "Email is not set up: set EMAIL_HOST" in response.content.decode()
    assert not Channel.objects.exists()
