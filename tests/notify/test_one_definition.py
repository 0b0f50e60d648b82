"""A channel's rules live on the model: the Settings form and the config file refuse the same
values with the same words, and the service refuses what neither door would let through."""

from __future__ import annotations

from html import escape

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.core import config
from apps.notify import services
from apps.notify.models import Channel
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

BASE = {"name": "Alerts", "kind": "ntfy", "url_env": "HOMEOPS_NTFY_URL"}
CASES = [
    ({"url_env": "https://ntfy.sh/secret-topic"}, "not the URL itself"),
    ({"url_env": "NTFY URL"}, "letters, digits and _ only, not starting with a digit"),
    ({"url_env": ""}, "Name the environment variable that holds the URL, e.g. HOMEOPS_DISCORD_URL."),
    ({"target": "alice@example.com"}, "Only email channels send to an address; leave this empty."),
    ({"kind": "email", "url_env": "", "target": ""}, "Give the address that receives alerts."),
    ({"quiet_from": "22:00"}, "Give both ends of the quiet hours, or neither."),
    ({"quiet_until": "07:00"}, "Give both ends of the quiet hours, or neither."),
    ({"reminder_minutes": 20000}, "must be from 0 to 10080 minutes"),
]


@pytest.mark.parametrize(("values", "words"), CASES)
def test_the_form_and_the_file_refuse_the_same_value_in_the_same_words(client, alice, monkeypatch, values, words):
    monkeypatch.setenv("HOMEOPS_NTFY_URL", "http://127.0.0.1:9/topic")
    entry = {**BASE, **values}

    post = {**entry, "events": ["down"], "enabled": "on"}
    post.setdefault("reminder_minutes", "0")
    page = signed_in(client, alice).post(reverse("notify:channel_add"), post)
    assert page.status_code == 200
    assert escape(words) in page.content.decode()

    result = config.import_text(yaml.safe_dump({"channels": [entry]}))
    assert any(words in str(error) for error in result.errors), [str(e) for e in result.errors]
    assert not Channel.objects.exists()


def test_the_service_refuses_a_channel_that_breaks_a_rule():
    with pytest.raises(ValidationError) as refused:
        services.channel_save(Channel(name="Hook", kind="webhook", url_env="", reminder_minutes=99999))
    assert set(refused.value.message_dict) == {"url_env", "reminder_minutes"}
    assert not Channel.objects.exists()


def test_the_file_switching_a_channel_on_goes_through_the_service(db):
    """The rule that a channel switched on forgets why it was off is the service's, so the
    file and the page share it (tests/notify/test_pages.py shows the page)."""
    channel = Channel.objects.create(name="D", kind="ntfy", url_env="X", enabled=False, disabled_reason="404")
    result = config.import_text("channels:\n  - {name: D, kind: ntfy, url_env: X, reminder_minutes: 5}\n")
    assert "channels: 0 new, 1 changed, 0 unchanged" in result.summary()
    channel.refresh_from_db()
    assert (channel.enabled, channel.disabled_reason, channel.reminder_minutes) == (True, "", 5)
