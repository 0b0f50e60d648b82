"""Secret pointers, not secrets: where a host's or service's credentials are kept, one field on
each model, in their Settings forms and in the configuration file, shown with a runbook."""

from __future__ import annotations

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse

from apps.core import config
from apps.runbooks import pointers
from apps.status.forms import HeartbeatForm, HostForm, ServiceForm
from apps.status.models import Host, Kind, Service, validate_pointer
from tests.conftest import signed_in
from tests.runbooks.conftest import steps_runbook

pytestmark = pytest.mark.django_db

POINTERS = [
    "DSM admin: password manager, vault Home, item DSM",
    "1Password, vault Home, item 'Synology NAS (nas.home.arpa)'",
    "KeePass file on the NAS, entry Home-NAS-2024-DSM",
    "Bitwarden: https://vault.home.arpa/#/vault?itemId=5f3e2c1a-9b7d-4e21-8a6f-3c2b1d0e9f8a",
    "The envelope in the kitchen drawer",
]
SECRETS = [
    "sk-proj-4fH9kLmN2pQrStUvWxYz0123abcd",
    "admin / ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "token 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
]


@pytest.mark.parametrize("text", POINTERS)
def test_a_pointer_is_accepted(text):
    validate_pointer(text)


@pytest.mark.parametrize("text", SECRETS)
def test_a_secret_where_its_pointer_belongs_is_refused(text):
    with pytest.raises(ValidationError, match="looks like a secret itself"):
        validate_pointer(text)


def test_the_settings_forms_carry_the_pointer_with_its_warning():
    for form in (HostForm(), ServiceForm(), HeartbeatForm()):
        field = form.fields["credentials_pointer"]
        assert field.label == "Where its credentials are kept"
        assert "Never the secret itself" in field.help_text
    form = HostForm({"name": "NAS", "kind": "nas", "credentials_pointer": SECRETS[0]})
    assert not form.is_valid() and "looks like a secret itself" in str(form.errors["credentials_pointer"])


def test_the_host_form_saves_a_pointer(client, alice):
    signed_in(client, alice).post(
        reverse("status:host_new"), {"name": "NAS", "kind": "nas", "credentials_pointer": POINTERS[0]}
    )
    assert Host.objects.get(name="NAS").credentials_pointer == POINTERS[0]


DOC = """\
hosts:
  - name: NAS
    credentials_pointer: "DSM admin: password manager, vault Home, item DSM"
heartbeats:
  - name: offsite
    period: 86400
    credentials_pointer: Hyper Backup's key is in the safe
services:
  - name: forgejo
    label: Forgejo
    host: NAS
    check: {kind: tcp, host: nas.home.arpa, port: 3000}
    credentials_pointer: Bitwarden, item Forgejo admin
"""


def test_the_configuration_file_imports_and_exports_pointers():
    result = config.import_text(DOC)
    assert result.ok, result.errors
    assert Host.objects.get(name="NAS").credentials_pointer.startswith("DSM admin")
    assert Service.objects.get(name="offsite").credentials_pointer == "Hyper Backup's key is in the safe"
    exported = yaml.safe_load(config.export_text())
    assert exported["hosts"][0]["credentials_pointer"] == "DSM admin: password manager, vault Home, item DSM"
    assert exported["services"][0]["credentials_pointer"] == "Bitwarden, item Forgejo admin"
    assert exported["heartbeats"][0]["credentials_pointer"] == "Hyper Backup's key is in the safe"
    again = config.import_text(config.export_text())
    assert "services: 0 new, 0 changed, 1 unchanged" in again.summary()


def test_a_secret_in_the_configuration_file_is_refused_at_its_line():
    result = config.import_text(DOC.replace("Bitwarden, item Forgejo admin", SECRETS[0]))
    assert not result.ok
    assert any(
        "services[0].credentials_pointer" in str(e) and "looks like a secret itself" in str(e) and "line 13" in str(e)
        for e in result.errors
    ), result.errors


def test_a_runbook_shows_the_pointers_of_its_hosts_and_services():
    runbook = steps_runbook()
    nas = Host.objects.create(name="NAS", credentials_pointer=POINTERS[0])
    Host.objects.create(name="Studio", credentials_pointer="1Password, item Studio")  # not linked
    ollama = Service.objects.create(
        name="ollama", label="Ollama", kind=Kind.TCP, check_config={"host": "x", "port": 1}, credentials_pointer="none"
    )
    silent = Service.objects.create(name="chat", label="Chat", kind=Kind.TCP, check_config={"host": "x", "port": 1})
    runbook.hosts.add(nas)
    runbook.services.add(ollama, silent)
    found = pointers.of_runbook(runbook)
    assert [(p.what, p.where) for p in found] == [("NAS", POINTERS[0]), ("Ollama", "none")]
    html = render_to_string("runbooks/partials/pointers.html", {"pointers": found})
    assert "Where the passwords are" in html and "<strong>NAS:</strong> DSM admin" in html
    assert "Where the passwords are" not in render_to_string("runbooks/partials/pointers.html", {"pointers": []})
