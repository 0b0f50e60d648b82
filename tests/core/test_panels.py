"""Dashboard panels: each app registers its own; the home page shows them by order and role."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from apps.core import dashboard
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

SEEN = {
    "alice": ["at-a-glance", "chat-box", "handover", "maintenance-due"],
    "bob": ["at-a-glance", "chat-box", "handover"],  # maintenance only when something of theirs is due
    "charlie": ["at-a-glance", "handover"],
}


def panel_ids(html: str) -> list[str]:
    return re.findall(r'<section class="card[^"]*" id="([a-z-]+)"', html)


def test_each_app_registers_its_panel_with_an_order():
    assert [(p.name, p.order) for p in dashboard.panels()] == [
        ("at-a-glance", 10),
        ("chat-box", 20),
        ("maintenance-audit-failures", 25),  # empty unless an audit item failed
        ("ledger-creep", 26),  # empty unless a cost-creep alert is open
        ("handover", 30),
        ("maintenance-due", 40),
        ("runbooks-stale", 60),  # shows nothing while every runbook is fresh
    ]


@pytest.mark.parametrize("who", SEEN)
def test_the_home_page_shows_the_panels_of_the_role_in_order(client, request, who):
    html = signed_in(client, request.getfixturevalue(who)).get("/").content.decode()
    assert panel_ids(html) == SEEN[who]


def test_small_panels_side_by_side_share_one_grid(client, alice):
    html = signed_in(client, alice).get("/").content.decode()
    grids = re.findall(r'<div class="grid">(.*?)</div>', html, re.S)
    assert [panel_ids(grid) for grid in grids] == [["handover", "maintenance-due"]]


@pytest.fixture
def extra_panel(settings, tmp_path):
    (tmp_path / "extra_panel.html").write_text(
        '<section class="card" id="extra-panel"><p>{{ words }} for {{ user.username }}</p></section>'
    )
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], tmp_path]}]
    asked = []

    def context(request):
        asked.append(request.user.username)
        return {"words": "Backups checked"}

    dashboard.register(
        dashboard.Panel(name="extra-panel", template="extra_panel.html", order=15, capability="chat", context=context)
    )
    yield asked
    dashboard.unregister("extra-panel")


def test_a_panel_registered_by_another_app_shows_at_its_order_for_its_roles(client, alice, charlie, extra_panel):
    html = signed_in(client, alice).get("/").content.decode()
    assert panel_ids(html) == ["at-a-glance", "extra-panel", "chat-box", "handover", "maintenance-due"]
    assert "Backups checked for alice" in html
    html = signed_in(client, charlie).get("/").content.decode()
    assert "extra-panel" not in panel_ids(html)
    assert extra_panel == ["alice"]  # a panel the member does not see builds no context


def test_a_panel_must_name_a_known_capability():
    with pytest.raises(KeyError, match="Unknown capability 'dashboard'"):
        dashboard.register(dashboard.Panel(name="x", template="x.html", order=1, capability="dashboard"))


FEATURE_APPS = {"status", "notify", "gateway", "chat", "runbooks", "maintenance", "ledger", "binder"}


CORE = Path(__file__).resolve().parents[2] / "apps" / "core"


@pytest.mark.parametrize("module", sorted(p.name for p in CORE.glob("*.py")))
def test_core_imports_no_feature_app(module):
    tree = ast.parse((CORE / module).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m.split(".")[:2] in [["apps", app] for app in FEATURE_APPS]}
