"""A runbook link is http(s) or a path on the portal: the Settings forms and the configuration
file refuse anything else, and the service page never makes a link of an old unsafe row."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from apps.core import config
from apps.status.models import Kind, Service
from tests.conftest import signed_in
from tests.status.test_manage import service_data

pytestmark = pytest.mark.django_db

UNSAFE = [
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "javascript\r:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/runbook",
    "/\\evil.example/runbook",
    "https:runbook",
    "file:///etc/passwd",
]
SAFE = ["https://wiki.home.arpa/runbooks/nas", "http://nas.home.arpa:3000/wiki", "/runbooks/nas"]


def heartbeat_data(**overrides) -> dict:
    data = {"name": "offsite", "label": "Off-site backup", "period": 86400, "grace": 3600, "criticality": "normal"}
    return {**data, **overrides}


FORMS = [("status:service_new", service_data), ("status:heartbeat_new", heartbeat_data)]


@pytest.mark.parametrize("url", UNSAFE)
@pytest.mark.parametrize(("page", "data"), FORMS)
def test_the_forms_refuse_a_link_that_is_not_http_or_a_path(client, alice, url, page, data):
    response = signed_in(client, alice).post(reverse(page), data(runbook_url=url))
    assert response.status_code == 200
    assert "The link must" in response.content.decode()
    assert not Service.objects.exists()


@pytest.mark.parametrize("url", SAFE)
def test_the_forms_take_http_https_and_relative_links(client, alice, url):
    signed_in(client, alice)
    assert client.post(reverse("status:service_new"), service_data(runbook_url=url)).status_code == 302
    assert client.post(reverse("status:heartbeat_new"), heartbeat_data(runbook_url=url)).status_code == 302
    assert set(Service.objects.values_list("runbook_url", flat=True)) == {url}


def document(url: str) -> str:
    # JSON strings are YAML double-quoted scalars, escapes (\t, \n, \u0001) included.
    quoted = json.dumps(url)
    return (
        "heartbeats:\n  - name: offsite\n    period: 86400\n    runbook_url: " + quoted + "\n"
        "services:\n  - name: nas\n    check: {kind: tcp, host: nas.home.arpa, port: 5001}\n"
        "    runbook_url: " + quoted + "\n"
    )


@pytest.mark.parametrize("url", UNSAFE)
def test_the_configuration_file_refuses_a_link_that_is_not_http_or_a_path(url):
    result = config.import_text(document(url))
    assert not result.ok
    paths = {error.path for error in result.errors}
    assert paths == {"heartbeats[0].runbook_url", "services[0].runbook_url"}, result.errors
    assert not Service.objects.exists()


@pytest.mark.parametrize("url", SAFE)
def test_the_configuration_file_takes_http_https_and_relative_links(url):
    result = config.import_text(document(url))
    assert result.ok, result.errors
    assert set(Service.objects.values_list("runbook_url", flat=True)) == {url}


@pytest.mark.parametrize("url", ["javascript:alert(document.domain)", "java\tscript:alert(1)", "data:text/html,x"])
def test_an_unsafe_link_saved_before_the_rule_is_not_a_link_on_the_service_page(client, bob, url):
    Service.objects.create(name="offsite", label="Off-site backup", kind=Kind.HEARTBEAT, runbook_url=url)
    html = signed_in(client, bob).get(reverse("status:service", args=["offsite"])).content.decode()
    assert "Runbook</a>" not in html
    assert "script:" not in html and "data:" not in html
    assert "The runbook link for this service is not a web address, so it is not shown; the owner can fix it." in html


def test_a_safe_link_is_a_link_on_the_service_page(client, bob):
    Service.objects.create(name="offsite", label="Off-site", kind=Kind.HEARTBEAT, runbook_url="/runbooks/offsite")
    html = signed_in(client, bob).get(reverse("status:service", args=["offsite"])).content.decode()
    assert '<a href="/runbooks/offsite">Runbook</a>' in html
