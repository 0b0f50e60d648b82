"""One definition per entity (issue 10): a host's, a service's and a heartbeat's rules live on
the model, so the Settings form and the configuration file refuse the same value with the same
words, and every write goes through a service in services.py that judges the row first."""

from __future__ import annotations

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from apps.core import config
from apps.status import services
from apps.status.models import Host, Kind, Service, State
from tests.conftest import signed_in
from tests.status.test_manage import service_data
from tests.status.test_runbook_links import heartbeat_data

pytestmark = pytest.mark.django_db

SERVICE = {"name": "photos", "label": "Photo library", "check": {"kind": "http", "url": "http://127.0.0.1:1/"}}
HEARTBEAT = {"name": "offsite", "label": "Off-site backup", "period": 86400, "grace": 3600}
HOST = {"name": "NAS", "address": "nas.home.arpa", "kind": "nas"}

SERVICE_PAGE, HEARTBEAT_PAGE, HOST_PAGE = "status:service_new", "status:heartbeat_new", "status:host_new"
# (form page, what the form posts, the file's section, its entry, the key in error, the words)
CASES = [
    (SERVICE_PAGE, {"interval": 1}, "services", {"interval": 1}, "interval", "must be from 5 to 86400 seconds"),
    (SERVICE_PAGE, {"timeout": 500}, "services", {"timeout": 500}, "timeout", "must be from 0.5 to 120 seconds"),
    (SERVICE_PAGE, {"retries": 11}, "services", {"retries": 11}, "retries", "must be from 0 to 10"),
    (
        SERVICE_PAGE,
        {"name": "photo library"},
        "services",
        {"name": "photo library"},
        "name",
        "letters, digits, - and _ only (it is used in addresses)",
    ),
    (SERVICE_PAGE, {"name": "new"}, "services", {"name": "new"}, "name", "That name is reserved; pick another."),
    (
        SERVICE_PAGE,
        {"runbook_url": "javascript:alert(1)"},
        "services",
        {"runbook_url": "javascript:alert(1)"},
        "runbook_url",
        "The link must start with http:// or https://, or be a path on this portal like /runbooks/nas.",
    ),
    (
        SERVICE_PAGE,
        {"url": "nas.home.arpa"},
        "services",
        {"check": {"kind": "http", "url": "nas.home.arpa"}},
        "check.url",
        "not a URL: it must start with http:// or https://",
    ),
    (
        SERVICE_PAGE,
        {"more": "expect_status: sometimes"},
        "services",
        {"check": {**SERVICE["check"], "expect_status": "sometimes"}},
        "check.expect_status",
        "expected a status like 200 or 200-399, got 'sometimes'",
    ),
    (
        SERVICE_PAGE,
        {"kind": "tcp", "url": "", "check_host": "nas", "check_port": 70000},
        "services",
        {"check": {"kind": "tcp", "host": "nas", "port": 70000}},
        "check.port",
        "must be a port number from 1 to 65535",
    ),
    (HEARTBEAT_PAGE, {"period": 30}, "heartbeats", {"period": 30}, "period", "must be from 60 to 31622400 seconds"),
    (HEARTBEAT_PAGE, {"grace": 10}, "heartbeats", {"grace": 10}, "grace", "must be from 60 to 2678400 seconds"),
    (
        HEARTBEAT_PAGE,
        {"min_duration": 700000},
        "heartbeats",
        {"min_duration": 700000},
        "min_duration",
        "must be from 0 to 604800 seconds",
    ),
    (
        HOST_PAGE,
        {"description": "x" * 2001},
        "hosts",
        {"description": "x" * 2001},
        "description",
        "Too long: at most 2000 characters (this has 2001).",
    ),
]
# An empty name or label in the model's words, not Django's "This field cannot be blank."
CASES += [
    (HOST_PAGE, {"name": ""}, "hosts", {"name": ""}, "name", "Give the machine a name, like NAS or Studio."),
    (
        SERVICE_PAGE,
        {"label": ""},
        "services",
        {"label": ""},
        "label",
        "Write what the family calls it, like “Photos on the NAS”.",
    ),
    (
        HOST_PAGE,
        {"kind": "fridge"},
        "hosts",
        {"kind": "fridge"},
        "kind",
        "Choose what kind of machine it is: mac, nas, ups, router or other.",
    ),
]
FORM_DATA = {SERVICE_PAGE: service_data, HEARTBEAT_PAGE: heartbeat_data, HOST_PAGE: HOST.copy}
ENTRY = {"services": SERVICE, "heartbeats": HEARTBEAT, "hosts": HOST}


@pytest.mark.parametrize(("page", "posted", "section", "entry", "key", "words"), CASES, ids=lambda v: str(v)[:30])
def test_the_form_and_the_file_refuse_the_same_value_with_the_same_words(
    client, alice, page, posted, section, entry, key, words
):
    data = {**FORM_DATA[page](), **posted}
    response = signed_in(client, alice).post(reverse(page), data)
    assert response.status_code == 200
    assert escape(words) in response.content.decode()

    result = config.import_text(yaml.safe_dump({section: [{**ENTRY[section], **entry}]}))
    assert [(error.path, error.message) for error in result.errors] == [(f"{section}[0].{key}", words)]
    assert not Service.objects.exists() and not Host.objects.exists()


def test_a_check_problem_in_the_file_keeps_the_line_of_its_setting():
    text = "services:\n  - name: photos\n    check:\n      kind: http\n      url: nas.home.arpa\n"
    [error] = config.import_text(text).errors
    assert (error.path, error.line) == ("services[0].check.url", 5)


def test_the_same_entries_pass_both_doors(client, alice):
    signed_in(client, alice)
    assert client.post(reverse(HOST_PAGE), HOST).status_code == 302
    assert client.post(reverse(SERVICE_PAGE), service_data()).status_code == 302
    assert client.post(reverse(HEARTBEAT_PAGE), heartbeat_data()).status_code == 302
    exported = config.export_text()
    Service.objects.all().delete()
    Host.objects.all().delete()
    result = config.import_text(exported)
    assert result.ok, result.errors
    summary = result.summary()
    for section in ("hosts", "heartbeats", "services"):
        assert f"{section}: 1 new, 0 changed, 0 unchanged" in summary


# --- The services refuse what the model refuses, whoever calls them --------------------------


def test_service_save_refuses_an_invalid_service_and_writes_nothing():
    service = Service(name="photos", label="Photos", kind=Kind.HTTP, check_config={"url": "nas"}, interval=1)
    with pytest.raises(ValidationError) as refused:
        services.service_save(service)
    assert refused.value.message_dict == {
        "interval": ["must be from 5 to 86400 seconds"],
        "check_config": ["check.url: not a URL: it must start with http:// or https://"],
    }
    assert not Service.objects.exists()


def test_service_save_updates_only_the_fields_named():
    check = {"host": "nas.home.arpa", "port": 5001}
    nas = services.service_save(Service(name="nas", label="NAS", kind=Kind.TCP, check_config=check))
    Service.objects.filter(pk=nas.pk).update(state=State.UP)  # the poller's write meanwhile
    nas.label = "NAS disks"
    services.service_save(nas, ["label"])
    nas.refresh_from_db()
    assert (nas.label, nas.state) == ("NAS disks", State.UP)


def test_heartbeat_save_gives_a_new_heartbeat_its_ping_address_and_keeps_it():
    heartbeat = services.heartbeat_save(Service(name="offsite", label="Off-site", period=86400))
    assert heartbeat.kind == Kind.HEARTBEAT and heartbeat.ping_uuid
    address = heartbeat.ping_uuid
    heartbeat.grace = 7200
    services.heartbeat_save(heartbeat, ["grace"])
    heartbeat.refresh_from_db()
    assert (heartbeat.grace, heartbeat.ping_uuid) == (7200, address)
    heartbeat.period = 5
    with pytest.raises(ValidationError, match="must be from 60 to 31622400 seconds"):
        services.heartbeat_save(heartbeat, ["period"])
    heartbeat.refresh_from_db()
    assert heartbeat.period == 86400


def test_host_save_refuses_a_kind_that_is_not_a_choice():
    with pytest.raises(ValidationError) as refused:
        services.host_save(Host(name="toaster", kind="toaster"))
    assert list(refused.value.message_dict) == ["kind"]
    assert not Host.objects.exists()


def test_a_service_cannot_depend_on_itself():
    web = services.service_save(Service(name="web", label="Web", kind=Kind.HTTP, check_config={"url": "http://x/"}))
    with pytest.raises(ValidationError, match="cannot depend on itself"):
        services.service_set_depends_on(web, [web])
    assert not web.depends_on.exists()


def test_a_loop_through_other_services_is_refused_on_the_page_and_by_the_service(client, alice):
    def polled(name: str) -> Service:
        return services.service_save(Service(name=name, label=name.title(), kind=Kind.HTTP, check_config=CHECK))

    CHECK = {"url": "http://127.0.0.1:1/"}
    nas, photos, backup = polled("nas"), polled("photos"), polled("backup")
    services.service_set_depends_on(photos, [nas])
    services.service_set_depends_on(backup, [photos])
    with pytest.raises(ValidationError, match="go round in a circle"):
        services.service_set_depends_on(nas, [backup])  # nas -> backup -> photos -> nas
    signed_in(client, alice)
    data = {**service_data(), "name": "nas", "label": "Nas", "depends_on": [backup.pk]}
    response = client.post(reverse("status:service_edit", args=[nas.pk]), data)
    assert response.status_code == 200
    assert "the dependencies go round in a circle" in response.content.decode()
    assert not nas.depends_on.exists()
