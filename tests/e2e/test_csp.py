"""The Content-Security-Policy holds and costs nothing: the owner opens every main page and
the browser reports no violation (inline script or style, eval, foreign sources), while a
script injected into a page is refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.status.models import Kind, Service
from tests.conftest import make_member
from tests.e2e.test_signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/",
    "/status/",
    "/status/offsite/",
    "/runbooks/",
    "/handover/",
    "/maintenance/",
    "/maintenance/audits/",
    "/maintenance/patches/",
    "/maintenance/budget/",
    "/maintenance/trials/",
    "/maintenance/trials/sets/new/",
    "/ledger/",
    "/binder/",
    "/chat/",
    "/keys/",
    "/usage/",
    "/accounts/password/change/",
    "/settings/",
    "/settings/checks/",
    "/settings/checks/services/new/",
    "/settings/checks/heartbeats/new/",
    "/settings/channels/",
    "/settings/channels/add/",
    "/settings/gateway/",
    "/settings/gateway/backends/new/",
    "/settings/chat/",
    "/settings/members/",
    "/settings/members/invite/",
    "/settings/config/",
    "/settings/handovers/",
    "/settings/handovers/new/",
    "/settings/handovers/access-log/",
    "/settings/contacts/",
    "/settings/contacts/new/",
]

# Runs before any page script (Playwright injects it outside the page's CSP) and records
# every violation the browser reports on that document.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def watch(page) -> list[str]:
    """Console messages about the policy, for the whole life of the page."""
    page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    return console


def test_the_owner_opens_every_main_page_without_a_policy_violation(page, live_server):
    make_member("alice", Role.OWNER)
    Service.objects.create(
        name="offsite", label="Off-site backup", kind=Kind.HEARTBEAT, runbook_url="https://wiki.home.arpa/offsite"
    )
    console = watch(page)
    sign_in(page, live_server, "alice")
    expect(page.get_by_role("heading", name="Hello")).to_be_visible()
    found: dict[str, list[str]] = {}
    for path in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("load")
        violations = page.evaluate("window.__violations") + console
        if violations:
            found[path] = list(violations)
        console.clear()
    assert found == {}
    # htmx still works under the policy: the board refreshes itself (every 5 s).
    page.goto(f"{live_server.url}/status/")
    with page.expect_response(lambda r: r.url.endswith("/status/") and r.request.headers.get("hx-request")):
        pass
    page.wait_for_timeout(300)
    assert page.evaluate("window.__violations") + console == []


def test_a_script_injected_into_a_page_does_not_run(page, live_server):
    make_member("alice", Role.OWNER)
    console = watch(page)
    sign_in(page, live_server, "alice")
    expect(page.get_by_role("heading", name="Hello")).to_be_visible()
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__ran = true";
          document.body.append(script);
          const link = document.createElement("a");
          link.href = "javascript:window.__clicked = true";
          link.id = "bad";
          link.textContent = "bad";
          document.body.append(link);
        }"""
    )
    page.click("#bad")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran") is None
    assert page.evaluate("window.__clicked") is None
    violations = page.evaluate("window.__violations")
    assert any(v.startswith("script-src") for v in violations), (violations, console)
