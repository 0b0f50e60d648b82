"""Each transport against a real local receiver; what a failure does to the channel."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.notify import events, services
from apps.notify.events import Event
from apps.notify.models import Channel, Delivery
from tests.notify.conftest import Reply

pytestmark = pytest.mark.django_db


def down_event(**kwargs) -> Event:
    values = {
        "kind": "down",
        "title": "The NAS is down",
        "text": "The NAS is down, so Forgejo, n8n and Grafana are unreachable.",
        "created": timezone.now().isoformat(),
        "services": ["NAS", "Forgejo", "n8n", "Grafana"],
        "state": "down",
    }
    return Event(**{**values, **kwargs})


def send(channel: Channel, event: Event | None = None) -> Delivery | None:
    return services.delivery_send(channel_id=channel.pk, event=event or down_event(), backoff=(0.0, 0.0))


def test_discord_gets_content_and_an_embed(receiver, make_channel):
    discord = make_channel("Discord", "discord", url=receiver.url("/api/webhooks/1/abc"))
    assert send(discord).ok
    (hit,) = receiver.at("/api/webhooks/1/abc")
    assert hit.headers["Content-Type"] == "application/json"
    body = hit.json
    assert set(body) == {"content", "embeds", "allowed_mentions"}
    assert body["content"] == "The NAS is down, so Forgejo, n8n and Grafana are unreachable."
    (embed,) = body["embeds"]
    assert embed["title"] == "The NAS is down"
    assert embed["description"] == body["content"]
    assert isinstance(embed["color"], int)
    assert embed["fields"] == [{"name": "Services", "value": "NAS, Forgejo, n8n, Grafana", "inline": False}]
    assert embed["timestamp"].startswith(str(timezone.now().year))


def test_webhook_posts_the_event_as_json(receiver, make_channel):
    hook = make_channel("n8n", "webhook", url=receiver.url("/hook"))
    assert send(hook).ok
    body = receiver.at("/hook")[0].json
    assert body["event"] == "down"
    assert body["text"].startswith("The NAS is down")
    assert body["services"] == ["NAS", "Forgejo", "n8n", "Grafana"]
    assert body["critical"] is False


def test_ntfy_posts_text_with_title_priority_and_tags(receiver, make_channel):
    ntfy = make_channel("ntfy", "ntfy", url=receiver.url("/homeops-alerts"))
    assert send(ntfy, down_event(critical=True, title="Die Küche ist aus")).ok
    (hit,) = receiver.at("/homeops-alerts")
    assert hit.text == "The NAS is down, so Forgejo, n8n and Grafana are unreachable."
    assert hit.headers["Priority"] == "urgent"
    assert hit.headers["Tags"] == "rotating_light"
    assert hit.headers["Title"].startswith("=?UTF-8?B?")  # RFC 2047: ntfy decodes it
    recovered = down_event(kind="recovered", title="Forgejo is back", text="Forgejo is back after 3 minutes.")
    assert send(ntfy, recovered).ok
    assert receiver.at("/homeops-alerts")[1].headers["Title"] == "Forgejo is back"
    assert receiver.at("/homeops-alerts")[1].headers["Priority"] == "default"


def test_email_goes_through_the_smtp_server(mailbox, make_channel):
    mail = make_channel("Mail", "email", target="owner@example.com")
    assert send(mail).ok
    (message,) = mailbox.messages
    assert message["To"] == "owner@example.com"
    assert "The NAS is down" in message["Subject"]
    assert "Forgejo, n8n and Grafana are unreachable" in message.get_payload()


def test_a_refused_address_turns_the_email_channel_off(mailbox, make_channel):
    mailbox.refuse.add("nobody@example.com")
    mail = make_channel("Mail", "email", target="nobody@example.com")
    delivery = send(mail)
    assert not delivery.ok and "refused nobody@example.com" in delivery.error
    mail.refresh_from_db()
    assert not mail.enabled


def test_apprise_delivers_through_its_json_scheme(receiver, make_channel):
    channel = make_channel("Apprise", "apprise", url=f"json://127.0.0.1:{receiver.port}/apprise")
    assert send(channel).ok
    body = receiver.at("/apprise")[0].json
    assert body["title"] == "The NAS is down"
    assert body["message"].startswith("The NAS is down, so")
    assert body["type"] == "failure"


def test_a_4xx_is_permanent_and_turns_the_channel_off(receiver, make_channel):
    url = receiver.reply("/gone", Reply(404, "Unknown Webhook"))
    discord = make_channel("Discord", "discord", url=url)
    delivery = send(discord)
    assert not delivery.ok and delivery.attempt == 1
    assert delivery.error == "the receiver answered 404 Not Found: Unknown Webhook"
    discord.refresh_from_db()
    assert not discord.enabled
    assert "404" in discord.disabled_reason
    assert len(receiver.at("/gone")) == 1  # no retries
    assert send(discord) is None  # off: nothing more is sent


def test_a_5xx_is_retried_and_every_attempt_logged(receiver, make_channel):
    url = receiver.reply("/flaky", Reply(502, "bad gateway"), Reply(503), Reply(204))
    hook = make_channel("Hook", "webhook", url=url)
    delivery = send(hook)
    assert delivery.ok and delivery.attempt == 3
    attempts = list(Delivery.objects.filter(channel=hook).order_by("attempt").values_list("attempt", "ok", "error"))
    assert attempts[0] == (1, False, "the receiver answered 502 Bad Gateway: bad gateway")
    assert attempts[1][:2] == (2, False) and attempts[2] == (3, True, "")
    hook.refresh_from_db()
    assert hook.enabled


def test_429_is_retried_not_permanent(receiver, make_channel):
    hook = make_channel("Hook", "webhook", url=receiver.reply("/slow-down", Reply(429)))
    delivery = send(hook)
    assert not delivery.ok and delivery.attempt == 3
    hook.refresh_from_db()
    assert hook.enabled and not hook.disabled_reason


def test_a_timeout_is_retried(receiver, make_channel, quick):
    hook = make_channel("Hook", "webhook", url=receiver.reply("/hang", Reply(204, delay=2.0), Reply(204)))
    delivery = send(hook)
    assert delivery.ok and delivery.attempt == 2
    assert Delivery.objects.get(channel=hook, attempt=1).error == "no answer within 1 seconds"


def test_a_failing_channel_does_not_block_another(receiver, make_channel, quick):
    make_channel("Broken", "webhook", url=receiver.reply("/broken", Reply(500)))
    make_channel("Good", "discord", url=receiver.url("/good"))
    planned = [services.Planned(c.pk, down_event()) for c in Channel.objects.all()]
    results = services.deliver_all(planned)
    assert [d.ok for d in results] == [False, True]
    assert len(receiver.at("/broken")) == 3 and len(receiver.at("/good")) == 1


def test_a_missing_environment_variable_is_named_and_turns_the_channel_off(make_channel):
    discord = Channel.objects.create(name="Discord", kind="discord", url_env="HOMEOPS_NOT_SET_ANYWHERE")
    delivery = send(discord)
    assert delivery.error == "the environment variable HOMEOPS_NOT_SET_ANYWHERE is not set"
    discord.refresh_from_db()
    assert not discord.enabled


def test_the_secret_url_never_reaches_the_log_or_the_delivery_log(receiver, make_channel, caplog):
    path = "/api/webhooks/1/s3cr3t-token"
    url = receiver.url(path)
    # A receiver that echoes what it was sent: the whole URL, the path, the token alone.
    receiver.reply(
        path, Reply(500, f"cannot post to {url}"), Reply(500, f"no route {path}"), Reply(404, "s3cr3t-token?")
    )
    hook = make_channel("Hook", "discord", url=url)
    with caplog.at_level("WARNING"):
        send(hook)
    hook.refresh_from_db()
    stored = " ".join(Delivery.objects.values_list("error", flat=True)) + hook.disabled_reason
    assert "s3cr3t-token" not in caplog.text
    assert "s3cr3t-token" not in stored
    assert "$HOMEOPS_TEST_HOOK_URL" in stored


def test_a_channel_that_does_not_want_an_event_sends_nothing(receiver, make_channel):
    hook = make_channel("Hook", "webhook", url=receiver.url("/hook"), events=["recovered"])
    assert send(hook) is None
    assert receiver.received == []


def test_send_test_message(receiver, make_channel):
    hook = make_channel("Hook", "webhook", url=receiver.url("/hook"))
    ok, text = services.channel_test(channel=hook)
    assert ok and text == "Sent. Check Hook for the test message."
    assert receiver.at("/hook")[0].json["event"] == "test"
    assert events.test_event  # the event the page sends
