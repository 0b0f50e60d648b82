"""The gateway's pages in the browser: Bob (family) makes an API key, sees it once and revokes it;
Alice (owner) reads the gateway settings, tests a backend and reads everyone's usage."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.gateway import audit, keys, services, snapshot
from apps.gateway.models import ApiKey, AuditEntry, Backend, Policy, Route, Target, UsageDay
from apps.status.models import Kind, Service, State
from tests.conftest import make_member
from tests.e2e.conftest import account_menu, screenshot
from tests.e2e.test_signin import sign_in
from tests.fixtures.fake_llm import FakeLLM
from tests.fixtures.ports import free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_snapshot():
    snapshot._current = None
    yield
    snapshot._current = None


@pytest.fixture
def studio_server():
    server = FakeLLM(flavour="ollama", models=("llama3.1:8b", "llama3.2:3b", "nomic-embed-text")).start()
    yield server
    server.stop()


def household(studio_server: FakeLLM | None = None) -> dict:
    """The reference stack: the Studio's Ollama watched by the board, the MacBook as fallback."""
    watcher = Service.objects.create(
        name="studio-ollama", label="Studio Ollama", kind=Kind.OLLAMA, check_config={}, state=State.UP
    )
    studio = Backend.objects.create(
        name="studio",
        kind="ollama",
        base_url=studio_server.url if studio_server else "http://127.0.0.1:9",
        timeout=5,
        service=watcher,
    )
    macbook = Backend.objects.create(name="macbook", kind="openai", base_url=f"http://127.0.0.1:{free_port()}/v1")
    assistant = Route.objects.create(alias="assistant", description="Everyday questions")
    Target.objects.create(route=assistant, position=0, backend=studio, model="llama3.1:8b")
    Target.objects.create(route=assistant, position=1, backend=macbook, model="llama3.2:3b", max_tokens=1024)
    homework = Route.objects.create(alias="homework", description="A patient tutor")
    Target.objects.create(route=homework, position=0, backend=studio, model="llama3.1:8b")
    embed = Route.objects.create(alias="embed", workload="embeddings", description="For search")
    Target.objects.create(route=embed, position=0, backend=studio, model="nomic-embed-text")
    Policy.objects.create(
        role=Role.FAMILY,
        daily_tokens=200_000,
        max_streams=2,
        quiet_from="22:00",
        quiet_until="07:00",
        system_prompts={"homework": "You are a patient tutor. Explain; do not give the answer."},
    )
    snapshot.announce()  # written here without the services, which announce every change themselves
    return {"studio": studio, "macbook": macbook}


def test_a_family_member_makes_a_key_sees_it_once_and_revokes_it(page, live_server):
    bob = make_member("bob", Role.FAMILY)
    household()
    sign_in(page, live_server, "bob")
    # Straight to the page: which menu offers it to whom is the role matrix's test
    # (tests/accounts/test_role_matrix.py); here it is making, seeing and revoking a key.
    page.goto(f"{live_server.url}/keys/")
    expect(page.get_by_role("heading", name="Your API keys")).to_be_visible()
    expect(page.get_by_text("No keys yet.")).to_be_visible()

    page.get_by_label("What is it for?").fill("laptop scripts")
    page.get_by_role("button", name="Make a key").click()
    shown = page.locator("#new-key-value")
    key = shown.input_value()
    assert key.startswith(keys.PREFIX) and keys.hash_key(key) == ApiKey.objects.get(member=bob).hashed
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    expect(page.locator("pre").first).to_contain_text(f"export HOMEOPS_API_KEY={key}")
    expect(page.locator("pre").first).to_contain_text(f"{live_server.url}/v1/chat/completions")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    screenshot(page, "api-keys")

    page.goto(f"{live_server.url}/keys/")  # shown once: not on the page any more
    assert key not in page.content()
    row = page.get_by_role("row", name="laptop scripts")
    expect(row).to_contain_text(key[:12])
    row.get_by_role("button", name="Revoke laptop scripts").click()
    expect(page.get_by_role("status")).to_contain_text("Revoked “laptop scripts”")
    expect(page.get_by_role("row", name="laptop scripts")).to_contain_text("revoked")
    assert ApiKey.objects.get(member=bob).revoked_at is not None


def test_the_keys_page_reads_well_on_a_phone(phone, live_server):
    bob = make_member("bob", Role.FAMILY)
    household()
    services.api_key_create(member=bob, name="Home Assistant")
    sign_in(phone, live_server, "bob")
    phone.goto(f"{live_server.url}/keys/")
    phone.get_by_label("What is it for?").fill("laptop scripts")
    phone.get_by_role("button", name="Make a key").click()
    expect(phone.locator("#new-key-value")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "api-keys-phone")


def test_the_owner_reads_the_gateway_settings_and_tests_a_backend(page, live_server, studio_server):
    make_member("alice", Role.OWNER)
    make_member("bob", Role.FAMILY)
    backends = household(studio_server)
    studio_server.models.remove("llama3.1:8b")  # the monthly model update went wrong
    sign_in(page, live_server, "alice")
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Model gateway").click()
    expect(page.get_by_role("heading", name="Model gateway")).to_be_visible()
    studio_row = page.locator('tr[data-backend="studio"]')
    expect(studio_row).to_contain_text("not asked yet")
    expect(studio_row.locator(".badge.ok")).to_have_text("Up")

    page.locator('tr[data-backend="macbook"]').get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("status")).to_contain_text("macbook refused the connection (nothing is listening there).")
    expect(page.locator('tr[data-backend="macbook"]')).to_contain_text("failed it refused the connection")
    studio_row.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("status")).to_contain_text("studio answered: 2 models")
    expect(page.get_by_role("status")).to_contain_text("Routes ask it for models it does not have: llama3.1:8b.")
    expect(studio_row).to_contain_text("routes ask for llama3.1:8b, which it does not list")
    expect(page.locator('tr[data-route="assistant"] li')).to_have_text(
        ["studio / llama3.1:8b not on studio", "macbook / llama3.2:3b"]
    )
    screenshot(page, "gateway-settings")

    page.get_by_role("button", name="Turn content logging on").click()
    expect(page.get_by_role("status")).to_contain_text("Content logging is on")
    expect(page.locator("#content-logging")).to_contain_text("content logging turned on by alice")
    page.get_by_role("button", name="Turn content logging off").click()
    expect(page.get_by_role("status")).to_contain_text("Content logging is off")
    assert AuditEntry.objects.filter(endpoint="settings").count() == 2

    # Test a change before saving it: a wrong port says so, and nothing is saved.
    studio_row.get_by_role("link", name="Edit").click()
    page.get_by_label("Address").fill(f"http://127.0.0.1:{free_port()}")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Test: it did not work. It refused the connection (nothing is listening there)."
    )
    page.get_by_label("Address").fill(studio_server.url)
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("status")).to_contain_text("Test: connected.")
    screenshot(page, "gateway-backend-form")
    assert Backend.objects.get(pk=backends["studio"].pk).base_url == studio_server.url


def test_the_gateway_settings_read_well_on_a_phone(phone, live_server):
    make_member("alice", Role.OWNER)
    household()
    sign_in(phone, live_server, "alice")
    phone.goto(f"{live_server.url}/settings/gateway/")
    expect(phone.get_by_role("heading", name="Routes")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "gateway-settings-phone")
    phone.goto(f"{live_server.url}/settings/gateway/routes/{Route.objects.get(alias='assistant').pk}/")
    expect(phone.get_by_role("heading", name="Targets")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "gateway-route-phone")
    phone.goto(f"{live_server.url}/settings/gateway/policies/{Policy.objects.get().pk}/")
    expect(phone.get_by_label("Locked system prompt for homework")).to_have_value(
        "You are a patient tutor. Explain; do not give the answer."
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "gateway-policy-phone")


def test_the_empty_gateway_settings_say_where_to_start(page, live_server):
    make_member("alice", Role.OWNER)
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/settings/gateway/")
    expect(page.get_by_text("No backends yet: add the Studio's Ollama")).to_be_visible()
    page.get_by_role("link", name="Add a policy").click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Choose who this policy is for: a role or a member.")).to_be_visible()
    screenshot(page, "gateway-policy-errors")


def usage_history(alice, bob, sam) -> None:
    """Three weeks of the household asking, rolled up; today's questions in the audit log."""
    today = timezone.localdate()
    for back in range(1, 22):
        day = today - timedelta(days=back)
        for member, alias, scale in ((bob, "assistant", 1), (sam, "homework", 2), (alice, "assistant", 3)):
            if (back + scale) % 4 == 0:
                continue
            UsageDay.objects.create(
                day=day,
                member=member,
                alias=alias,
                requests=4 * scale + back % 5,
                errors=1 if back == 9 and member == bob else 0,
                fallbacks=2 if back == 9 else 0,
                prompt_tokens=(900 + 37 * back) * scale,
                completion_tokens=(400 + 11 * back) * scale,
                ttft_p50_ms=280 + 10 * (back % 4),
                ttft_p95_ms=900 + 60 * (back % 5) + (4000 if back == 9 else 0),
            )
    now = timezone.now()
    for minutes, member, alias, status in (
        (50, bob, "assistant", 200),
        (30, sam, "homework", 200),
        (5, bob, "assistant", 502),
    ):
        AuditEntry.objects.create(
            created=now - timedelta(minutes=minutes),
            member=member,
            endpoint="chat.completions",
            alias=alias,
            backend="studio",
            model="llama3.1:8b",
            status=status,
            fallback=status != 200,
            prompt_tokens=1200 if status == 200 else 0,
            completion_tokens=350 if status == 200 else 0,
            ttft_ms=310.0 if status == 200 else None,
            error="" if status == 200 else "studio: cannot connect",
        )
    assert audit.usage_rows(today)


def test_usage_for_the_owner_and_for_a_family_member(page, phone, live_server):
    alice = make_member("alice", Role.OWNER)
    bob = make_member("bob", Role.FAMILY)
    sam = make_member("sam", Role.FAMILY)
    household()
    usage_history(alice, bob, sam)

    sign_in(page, live_server, "alice")
    account_menu(page).get_by_role("link", name="Usage", exact=True).click()
    expect(page.get_by_role("heading", name="Usage", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="By member")).to_be_visible()
    rows = page.locator("table.usage-days tbody tr")
    expect(rows.first).to_contain_text("Today")
    page.evaluate("window.__noReload = true")
    page.get_by_label("Member").select_option(label="bob")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="By member")).to_have_count(0)
    assert page.evaluate("window.__noReload") is True  # htmx swapped the results in place
    assert "member=" in page.url  # and the address can be bookmarked
    page.get_by_label("Member").select_option(label="Everyone")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="By member")).to_be_visible()
    screenshot(page, "usage")

    sign_in(phone, live_server, "bob")
    phone.goto(f"{live_server.url}/usage/")
    expect(phone.get_by_role("heading", name="Your usage")).to_be_visible()
    expect(phone.locator("#allowance")).to_contain_text("of your 200,000 tokens left today")
    assert not re.search(r"\bsam\b", phone.locator("main").inner_text())
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "usage-phone")


def offered(page, index: int) -> list[str]:
    """The models the browser offers in target `index`'s model box: its datalist's options."""
    return page.evaluate(
        """(index) => {
            const box = document.querySelector(`#id_targets-${index}-model`);
            return [...(box.list?.options || [])].map((option) => option.value);
        }""",
        index,
    )


@pytest.mark.parametrize("viewport", ["page", "phone"])
def test_the_route_form_offers_the_chosen_backends_models(viewport, request, live_server):
    page = request.getfixturevalue(viewport)
    make_member("alice", Role.OWNER)
    backends = household()
    now = timezone.now()
    Backend.objects.filter(pk=backends["studio"].pk).update(
        model_names=["llama3.1:8b", "nomic-embed-text", "qwen2.5:14b"], models_refreshed_at=now
    )
    Backend.objects.filter(pk=backends["macbook"].pk).update(model_names=["llama3.2:3b"], models_refreshed_at=now)
    Backend.objects.create(name="mini", kind="openai", base_url="http://127.0.0.1:9/v1")  # not asked yet
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/settings/gateway/routes/new/")
    page.get_by_label("Alias").fill("quick")

    new = page.locator("fieldset.target").first
    assert len(offered(page, 0)) == 4  # no backend chosen: every backend's models
    new.get_by_label("Backend").select_option(label="macbook")
    assert offered(page, 0) == ["llama3.2:3b"]
    new.get_by_label("Backend").select_option(label="studio")
    assert offered(page, 0) == ["llama3.1:8b", "nomic-embed-text", "qwen2.5:14b"]
    note = new.locator("[data-model-note]")
    expect(note).to_be_hidden()
    new.get_by_label("Model").fill("llama3.3")
    new.get_by_label("Model").blur()
    expect(note).to_have_text("llama3.3 is not among studio's models yet: pull it there before the route can use it.")
    if viewport == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"gateway-route-target{'-phone' if viewport == 'phone' else ''}")

    second = page.locator("fieldset.target").nth(1)
    second.get_by_label("Backend").select_option(label="mini")
    assert offered(page, 1) == []
    expect(second.locator("[data-model-note]")).to_contain_text("mini has not told HomeOps its models yet")
    second.get_by_label("Model").fill("llama3.2:3b")

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Saved the route quick. llama3.3 is not among studio's models yet"
    )
    assert [(t.backend.name, t.model) for t in Route.objects.get(alias="quick").targets.all()] == [
        ("studio", "llama3.3"),
        ("mini", "llama3.2:3b"),
    ]


# Names as long as the fields allow, in one piece (no space or hyphen to break at).
LONG = "studio" + "x" * 58  # 64 characters: a backend's name, a route's alias
WIDEST = """() => {
    const wide = [];
    for (const element of document.querySelectorAll("main *")) {
        const box = element.getBoundingClientRect();
        if (box.right > document.documentElement.clientWidth + 1) wide.push(`${element.tagName}.${element.className}`);
    }
    return wide.slice(0, 8);
}"""


# Whether each word of an element's text sits on one line (a word broken in the middle has
# two boxes).
WHOLE_WORDS = """(element) => {
    const text = element.firstChild;
    const range = document.createRange();
    for (const match of text.textContent.matchAll(/\\S+/g)) {
        range.setStart(text, match.index);
        range.setEnd(text, match.index + match[0].length);
        if (range.getClientRects().length !== 1) return false;
    }
    return true;
}"""


def fits(page, url: str, width: int = 390) -> None:
    page.goto(url)
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, (url, wide, page.evaluate(WIDEST))


def long_names_everywhere() -> dict:
    """The household's settings with every name as long as it may be."""
    from apps.accounts import services as accounts
    from apps.status.models import Host

    long_member = make_member("m" * 64, Role.FAMILY, first_name="Maximiliana-" + "y" * 60)
    studio = Backend.objects.create(
        name=LONG,
        kind="ollama",
        base_url=f"http://{LONG}.home.arpa:11434",
        api_key_env="HOMEOPS_" + "K" * 60,
        model_names=["hf.co/" + "q" * 60, "llama3.1:8b"],
        models_refreshed_at=timezone.now(),
    )
    alias = "assistant" + "a" * 55
    route = Route.objects.create(alias=alias, description="d" * 200)
    Target.objects.create(route=route, position=0, backend=studio, model="hf.co/" + "q" * 60)
    Target.objects.create(route=route, position=1, backend=studio, model="z" * 64)
    policy = Policy.objects.create(
        member=long_member, aliases=[alias], system_prompts={alias: "You are a patient tutor." * 5}
    )
    host = Host.objects.create(name="h" * 100, address="a" * 100 + ".home.arpa", location="l" * 100)
    service = Service.objects.create(
        name="s" * 100,
        label="L" * 100,
        host=host,
        kind=Kind.HTTP,
        check_config={"url": f"http://{'a' * 100}.home.arpa:3000/api/health"},
    )
    accounts.invitation_create(role=Role.FAMILY, created_by=None, name="n" * 150, note="o" * 300)
    snapshot.announce()
    return dict(backend=studio, route=route, policy=policy, host=host, service=service, member=long_member)


def test_long_names_wrap_on_a_phone_and_a_desktop(phone, page, live_server):
    make_member("alice", Role.OWNER)
    rows = long_names_everywhere()
    sign_in(phone, live_server, "alice")
    base = live_server.url
    for path in (
        "/settings/",
        "/settings/gateway/",
        f"/settings/gateway/backends/{rows['backend'].pk}/",
        f"/settings/gateway/routes/{rows['route'].pk}/",
        f"/settings/gateway/policies/{rows['policy'].pk}/",
        "/settings/checks/",
        f"/settings/checks/hosts/{rows['host'].pk}/",
        f"/settings/checks/services/{rows['service'].pk}/",
        "/settings/members/",
        f"/settings/members/{rows['member'].pk}/",
    ):
        fits(phone, base + path)
    phone.goto(f"{base}/settings/gateway/")
    screenshot(phone, "gateway-settings-long-names-phone")

    # On a wide screen the long names wrap and the short words beside them stay whole.
    sign_in(page, live_server, "alice")
    for path in ("/settings/gateway/", "/settings/checks/", "/settings/members/"):
        fits(page, base + path, 1280)
    page.goto(f"{base}/settings/gateway/")
    row = page.locator("tr[data-backend]")
    for words in ("Edit", "Test connection", "not watched"):
        assert row.get_by_text(words, exact=True).evaluate(WHOLE_WORDS), words
