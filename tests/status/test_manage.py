"""The owner adds and edits hosts, services and heartbeats in the browser's forms."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.status.models import Host, Kind, Service, State
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def service_data(**overrides) -> dict:
    data = {
        "name": "photos",
        "label": "Photo library",
        "kind": "http",
        "url": "http://127.0.0.1:1/",
        "interval": 60,
        "timeout": 5,
        "retries": 1,
        "criticality": "normal",
        "queue": "celery",
    }
    return {**data, **overrides}


def test_the_owner_adds_a_host_and_a_service(client, alice):
    signed_in(client, alice)
    client.post(reverse("status:host_new"), {"name": "NAS", "address": "nas.home.arpa", "kind": "nas"})
    nas = Host.objects.get(name="NAS")
    response = client.post(
        reverse("status:service_new"), service_data(host=nas.pk, more="expect_status: 200-299\nkeyword: Photos")
    )
    assert response.status_code == 302
    photos = Service.objects.get(name="photos")
    assert photos.check_config == {"expect_status": "200-299", "keyword": "Photos", "url": "http://127.0.0.1:1/"}
    assert photos.host == nas
    page = client.get(reverse("status:service_edit", args=[photos.pk])).content.decode()
    assert "keyword: Photos" in page  # the extra settings come back for editing


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # Each problem of the check under the box it is about, in that box's words.
        ({"url": "nas.home.arpa"}, "<li>not a URL: it must start with http:// or https://</li>"),
        ({"kind": "tcp", "url": "", "check_host": "nas"}, "<li>Write the port to connect to, like 5000.</li>"),
        ({"more": "expect_status: sometimes"}, "<li>expect_status: expected a status like 200"),
        ({"more": "colour: red"}, "<li>colour: unknown field"),
        ({"interval": "often"}, "Write how many seconds between checks, from 5 to 86400, like 60."),
        ({"more": "[not, a, mapping]"}, "write name: value lines"),
        ({"name": "new"}, "That name is reserved"),
        ({"interval": 1}, "must be from 5 to 86400 seconds"),
    ],
)
def test_bad_settings_are_explained_and_nothing_is_saved(client, alice, overrides, message):
    response = signed_in(client, alice).post(reverse("status:service_new"), service_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Service.objects.exists()


def test_test_this_check_runs_it_without_saving(client, alice, http_server):
    url = http_server.answer("/photos", body="Photos")
    response = signed_in(client, alice).post(
        reverse("status:service_new"), service_data(url=url, more="keyword: Photos", test="1")
    )
    text = response.content.decode()
    assert "Test: Up." in text and "Answered 200" in text and "Nothing was saved yet." in text
    assert not Service.objects.exists()
    failing = client.post(reverse("status:service_new"), service_data(url=url, more="keyword: Videos", test="1"))
    assert "Test: Down." in failing.content.decode()


def test_editing_keeps_the_state_and_history(client, alice):
    web = Service.objects.create(
        name="web", label="Web", kind=Kind.HTTP, check_config={"url": "http://x/"}, state=State.UP
    )
    signed_in(client, alice).post(reverse("status:service_edit", args=[web.pk]), service_data(name="web", label="Site"))
    web.refresh_from_db()
    assert (web.label, web.state) == ("Site", State.UP)


def test_a_heartbeat_gets_its_ping_address(client, alice):
    response = signed_in(client, alice).post(
        reverse("status:heartbeat_new"),
        {"name": "offsite", "label": "Off-site backup", "period": 86400, "grace": 3600, "criticality": "critical"},
        follow=True,
    )
    heartbeat = Service.objects.get(name="offsite")
    assert heartbeat.kind == Kind.HEARTBEAT and heartbeat.ping_uuid
    assert f"/ping/{heartbeat.ping_uuid}" in response.content.decode()


def test_deleting_a_service(client, alice):
    web = Service.objects.create(name="web", label="Web", kind=Kind.HTTP, check_config={"url": "http://x/"})
    signed_in(client, alice).post(reverse("status:delete", args=["service", web.pk]))
    assert not Service.objects.exists()
    assert client.post(reverse("status:delete", args=["planet", 1])).status_code == 404


def test_each_delete_address_deletes_only_its_own_kind(client, alice):
    web = Service.objects.create(name="web", label="Web", kind=Kind.HTTP, check_config={"url": "http://x/"})
    backup = Service.objects.create(name="backup", label="Backup", kind=Kind.HEARTBEAT, check_config={})
    signed_in(client, alice)
    assert client.post(reverse("status:delete", args=["heartbeat", web.pk])).status_code == 404
    assert client.post(reverse("status:delete", args=["service", backup.pk])).status_code == 404
    assert Service.objects.count() == 2
    client.post(reverse("status:delete", args=["heartbeat", backup.pk]))
    assert list(Service.objects.values_list("name", flat=True)) == ["web"]


def test_the_checks_page_has_empty_states(client, alice):
    html = signed_in(client, alice).get(reverse("status:checks")).content.decode()
    assert "No hosts yet." in html and "No services yet." in html and "No heartbeats yet." in html


def test_metrics_need_the_bearer_token(client, settings, db):
    Service.objects.create(name="nas", label="NAS", kind=Kind.TCP, check_config={}, state=State.DOWN, latency_ms=12.5)
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics-token"})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'homeops_service_up{service="nas",host="",kind="tcp"} 0' in text
    assert 'homeops_service_state{service="nas",host="",kind="tcp",state="down"} 1' in text
    assert 'homeops_check_latency_seconds{service="nas",host="",kind="tcp"} 0.0125' in text


def test_metrics_want_the_bearer_scheme_not_just_the_token(client, settings, db):
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    for header in ("s3cret-metrics-token", "Basic s3cret-metrics-token", "Bearers3cret-metrics-token", "Bearer "):
        assert client.get("/metrics", headers={"Authorization": header}).status_code == 401, header
    # The scheme's name is case-insensitive (RFC 9110, section 11.1).
    assert client.get("/metrics", headers={"Authorization": "bearer s3cret-metrics-token"}).status_code == 200


def test_metrics_are_off_without_a_token(client, settings, db):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics")
    assert response.status_code == 404
    assert b"HOMEOPS_METRICS_TOKEN" in response.content


def test_an_alias_bomb_in_the_extra_settings_is_refused(client, alice):
    from tests.core.test_config import ALIAS_BOMB

    response = signed_in(client, alice).post(reverse("status:service_new"), service_data(more=ALIAS_BOMB))
    assert response.status_code == 200
    assert "anchors and aliases (&amp;name, *name) are not allowed" in response.content.decode()
    assert not Service.objects.exists()
