"""Every Settings form answers a wrong or missing value with what to write, in the household's
words, never Django's defaults ("This field is required.", "Enter a whole number.", "Select a
valid choice."). The gateway's own forms are walked in tests/gateway/test_one_definition.py."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from apps.status.models import Host, Kind, Service
from tests.conftest import signed_in
from tests.gateway.test_one_definition import DJANGO_DEFAULTS

pytestmark = pytest.mark.django_db


def errors(response) -> list[str]:
    text = html.unescape(response.content.decode())
    found = re.findall(r'<ul class="errorlist[^>]*>(.*?)</ul>', text, re.S)
    return [re.sub(r"<[^>]+>", " ", item).strip() for item in found]


WRONG = [
    ("status:host_new", {"name": "nas", "kind": "fridge"}),
    (
        "status:service_new",
        {
            "name": "nas-ping",
            "label": "",
            "kind": "zzz",
            "interval": "often",
            "timeout": "soon",
            "retries": "1.5",
            "check_port": "p",
            "host": "999",
            "depends_on": ["999"],
            "criticality": "very",
            "queue": "",
        },
    ),
    (
        "status:heartbeat_new",
        {"name": "backup", "label": "", "period": "daily", "grace": "-1", "min_duration": "z", "criticality": "q"},
    ),
    ("notify:channel_add", {"name": "", "kind": "email", "target": "nope", "quiet_from": "x", "reminder_minutes": "y"}),
    ("accounts:invite", {"role": "king", "access_from": "x", "access_until": "y"}),
]


@pytest.mark.parametrize(("page", "data"), WRONG, ids=[page for page, _ in WRONG])
def test_a_settings_form_says_what_to_write(client, alice, page, data):
    Host.objects.create(name="nas")
    Service.objects.create(name="nas-ping", label="NAS", kind=Kind.TCP, check_config={"host": "nas", "port": 5000})
    found = errors(signed_in(client, alice).post(reverse(page), data))
    assert found
    for message in found:
        assert not any(words in message for words in DJANGO_DEFAULTS), message


def test_a_member_form_says_what_to_write(client, alice, bob):
    response = signed_in(client, alice).post(
        reverse("accounts:member_edit", args=[bob.pk]), {"email": "", "role": "king", "access_from": "x"}
    )
    found = errors(response)
    moment = "Write a day and a time, like 2027-08-01 09:00, or leave it empty."
    assert found == ["Choose one of the roles listed.", moment]


def test_a_check_problem_is_said_under_its_box(client, alice):
    data = {"name": "tcp1", "label": "T", "kind": "tcp", "interval": "60", "timeout": "10", "retries": "1"}
    data.update(check_host="", check_port="99999", criticality="normal", queue="celery")
    found = errors(signed_in(client, alice).post(reverse("status:service_new"), data))
    assert found == ["Write the machine to connect to, like nas.home.arpa.", "must be a port number from 1 to 65535"]
