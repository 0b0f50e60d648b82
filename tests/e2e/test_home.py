"""The home page at a glance: with six services down on two machines, one line says what
matters (can I chat? what is off?) and the chat box is on the first screen, phone or desktop."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.status.models import Host, Kind, Service, State
from tests.conftest import make_member
from tests.e2e.conftest import screenshot
from tests.e2e.test_signin import sign_in
from tests.fixtures.fake_llm import FakeLLM
from tests.gateway.conftest import _fresh_snapshot, make_backend, make_route  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def household(transactional_db):
    studio = FakeLLM().start()
    make_member("bob", Role.FAMILY)
    studio_host = Host.objects.create(name="Studio")
    chat = Service.objects.create(name="studio-chat", label="Chat assistant (Studio)", host=studio_host,
                                  kind=Kind.OLLAMA, state=State.UP)  # fmt: skip
    make_route("assistant", (make_backend("Studio", studio, service=chat), "llama3.1:8b"))
    for host_name, labels in (("NAS", ("Photos", "Files", "Backups")), ("Mini", ("Home Assistant", "Zigbee", "DNS"))):
        host = Host.objects.create(name=host_name)
        for label in labels:
            Service.objects.create(
                name=label.lower().replace(" ", "-"), label=label, host=host, kind=Kind.TCP, state=State.DOWN,
                message="could not be found on the network (the name does not resolve)",
            )  # fmt: skip
    yield
    studio.stop()


@pytest.mark.parametrize("viewport", ["phone", "page"])
def test_six_services_down_read_as_one_line_and_the_chat_box_is_on_the_first_screen(
    request, viewport, gateway_url, household
):
    screen = request.getfixturevalue(viewport)
    sign_in(screen, SimpleNamespace(url=gateway_url), "bob")
    line = screen.locator("#at-a-glance [role=status]")
    expect(line).to_have_text(
        "The assistant answers. 2 machines are not answering: Mini and NAS; 6 services wait for them."
    )
    expect(screen.locator("#at-a-glance").get_by_role("link", name="Status board")).to_be_visible()
    # The question box is on the first screen without scrolling.
    height = screen.viewport_size["height"]
    box = screen.get_by_label("Your question").bounding_box()
    assert box["y"] + box["height"] <= height, (box, height)
    assert screen.evaluate("document.documentElement.scrollWidth") <= screen.viewport_size["width"]
    screenshot(screen, f"home-six-down-{viewport}")
