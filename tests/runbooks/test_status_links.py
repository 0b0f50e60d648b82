"""Runbooks on the status pages: a service's page lists its runbooks; a Down or Unreachable
service on the board links "What to do" to them; one without says so to the owner only.
Each member sees only the runbooks they may read."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from apps.runbooks import services
from apps.runbooks.models import Audience
from apps.status.models import Kind, Service, State
from tests.conftest import signed_in
from tests.runbooks.conftest import make_runbook


def service(name: str, state: str = State.UP) -> Service:
    return Service.objects.create(
        name=name,
        label=name.upper(),
        kind=Kind.TCP,
        check_config={"host": "x", "port": 1},
        state=state,
        state_since=timezone.now(),
    )


@pytest.fixture
def board(alice):
    nas, ollama, grafana = (
        service("nas", State.DOWN),
        service("ollama", State.UNREACHABLE),
        service("grafana", State.DOWN),
    )
    up = service("forgejo")
    full = make_runbook("nas-full", title="The NAS is full", audience=Audience.CARETAKER)
    services.runbook_save(full, services=[nas, up])
    private = make_runbook("ollama-notes", title="Owner's Ollama notes", audience=Audience.OWNER)
    services.runbook_save(private, services=[ollama])
    return {"nas": nas, "ollama": ollama, "grafana": grafana, "forgejo": up}


def test_a_down_service_links_what_to_do_to_its_runbook(client, charlie, board):
    html = signed_in(client, charlie).get("/status/").content.decode()
    assert html.count("What to do") == 1 and 'href="/runbooks/nas-full/">What to do</a>' in html
    assert "No runbook says what to do" not in html  # the owner's business


def test_a_runbook_the_member_may_not_read_is_not_linked(client, bob, alice, board):
    assert "/runbooks/ollama-notes/" not in signed_in(client, bob).get("/status/").content.decode()
    assert "/runbooks/ollama-notes/" in signed_in(client, alice).get("/status/").content.decode()


def test_the_owner_is_told_which_down_service_has_no_runbook(client, alice, board):
    html = signed_in(client, alice).get("/status/", headers={"HX-Request": "true"}).content.decode()
    row = html.split('data-service="grafana"')[1].split("</tr>")[0]
    assert "No runbook says what to do." in row
    assert html.count("No runbook says what to do") == 1  # not for an up service without one


def test_a_services_page_lists_its_runbooks(client, bob, alice, board):
    html = signed_in(client, bob).get("/status/forgejo/").content.decode()
    assert 'href="/runbooks/nas-full/">The NAS is full</a>' in html
    assert "No runbook is about this service yet." in signed_in(client, bob).get("/status/grafana/").content.decode()
    assert "Owner's Ollama notes" not in client.get("/status/ollama/").content.decode()
    assert "Owner&#x27;s Ollama notes" in signed_in(client, alice).get("/status/ollama/").content.decode()


def test_write_one_links_the_new_runbook_to_the_service(client, alice, board):
    signed_in(client, alice)
    board_html = client.get("/status/").content.decode()
    assert 'href="/runbooks/new/?service=grafana">Write one</a>' in board_html
    chooser = client.get("/runbooks/new/?service=grafana").content.decode()
    assert "It will be linked to GRAFANA." in chooser and "?from=restart-service&amp;service=grafana" in chooser
    editor = client.get("/runbooks/new/?from=restart-service&service=grafana").content.decode()
    pk = board["grafana"].pk
    assert re.search(rf'<input type="checkbox" name="services" value="{pk}"[^>]* checked', editor)
