"""What the owner reads when a backend cannot be reached: the gateway's pages say it in words
("could not be found on the network"), never the socket's "[Errno -2] Name or service not
known" or an exception's name. Each failure is made for real: a port nothing listens on, a name
that does not resolve, a frozen server, a server that hangs up, https:// to a plain server."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from apps.gateway import tasks
from apps.gateway.models import Backend
from tests.conftest import signed_in
from tests.fixtures.fake_llm import FakeLLM
from tests.fixtures.ports import free_port
from tests.fixtures.rude_server import HangUpServer, SilentPort

pytestmark = pytest.mark.django_db

# What raw socket and library text looks like: none of it may reach a page.
RAW = re.compile(r"[Ee]rrno|\[Err|[A-Za-z]Error\b|Exception|[A-Za-z]Timeout\b|Name or service|Connection refused|SSL")


@pytest.fixture
def failure(request):
    """(address, the words the pages say) for each kind of failure, with its server running."""
    kind = request.param
    if kind == "refused":
        yield f"http://127.0.0.1:{free_port()}/v1", "refused the connection (nothing is listening there)"
    elif kind == "no such name":
        yield "http://studio.invalid:11434/v1", "could not be found on the network (the name does not resolve)"
    elif kind == "frozen":
        server = SilentPort().start()
        yield f"http://127.0.0.1:{server.port}/v1", "accepted the connection but sent no answer within 1 s"
        server.stop()
    elif kind == "hangs up":
        server = HangUpServer().start()
        yield (
            f"http://127.0.0.1:{server.port}/v1",
            "hung up without a proper answer (is another kind of server listening on that port?)",
        )
        server.stop()
    elif kind == "https to plain http":
        llm = FakeLLM().start()
        yield (
            llm.root.replace("http://", "https://"),
            "could not talk over https:// there (if the server speaks plain http://, change the address)",
        )
        llm.stop()


def page_text(response) -> str:
    """The page's main part as a reader sees it: without tags."""
    main = response.content.decode().split("<main", 1)[1]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", "<main" + main)))


KINDS = ["refused", "no such name", "frozen", "hangs up", "https to plain http"]


@pytest.mark.parametrize("failure", KINDS, indirect=True)
def test_every_way_a_backend_fails_is_said_in_words_on_the_gateway_pages(client, alice, failure):
    address, words = failure
    signed_in(client, alice)
    data = {"name": "studio", "kind": "openai", "base_url": address, "timeout": "1", "test": ""}

    # The backend's page: "Test connection" before saving.
    text = page_text(client.post(reverse("gateway:backend_new"), data))
    assert f"Test: it did not work. It {words}. Nothing was saved yet." in text
    assert not RAW.search(text), RAW.search(text)

    # Saved, then "Test connection" on the overview, and the overview's row.
    del data["test"]
    client.post(reverse("gateway:backend_new"), data)
    studio = Backend.objects.get(name="studio")
    text = page_text(client.post(reverse("gateway:backend_test", args=[studio.pk]), follow=True))
    assert f"studio {words}." in text
    assert not RAW.search(text), RAW.search(text)

    # The background refresh keeps the words for the overview.
    Backend.objects.filter(pk=studio.pk).update(models_error="")
    tasks.refresh_models()
    assert Backend.objects.get(pk=studio.pk).models_error == words
    text = page_text(client.get(reverse("gateway:settings")))
    assert words in text and not RAW.search(text), RAW.search(text)
