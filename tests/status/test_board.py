"""The board page, its htmx partial, owner actions and the dashboard sentence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.status import engine, selectors
from apps.status.models import Host, Kind, Service, State
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def service(name: str, state: str = State.UP, **kwargs) -> Service:
    defaults = {"label": name.title(), "kind": Kind.TCP, "check_config": {"host": "127.0.0.1", "port": 9}}
    return Service.objects.create(name=name, state=state, state_since=timezone.now(), **{**defaults, **kwargs})


def test_the_board_groups_services_by_host(client, bob):
    nas = Host.objects.create(name="NAS")
    service("forgejo", host=nas, message="answered 200 in 12 ms")
    service("chat", label="Chat assistant")
    html = signed_in(client, bob).get(reverse("status:index")).content.decode()
    assert "<h2>NAS</h2>" in html and "Forgejo" in html and "answered 200 in 12 ms" in html
    assert "Other services and jobs" in html  # services without a host
    assert 'hx-trigger="every 5s"' in html


def test_the_htmx_refresh_gets_only_the_board(client, bob):
    service("web")
    response = signed_in(client, bob).get(reverse("status:index"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_family_sees_no_owner_buttons_and_cannot_post_them(client, bob):
    web = service("web")
    html = signed_in(client, bob).get(reverse("status:service", args=["web"])).content.decode()
    assert "Check now" not in html
    assert client.post(reverse("status:pause", args=["web"])).status_code == 403
    assert Service.objects.get(pk=web.pk).enabled


def test_the_owner_pauses_mutes_and_checks_now(client, alice, http_server):
    web = service("web", kind=Kind.HTTP, check_config={"url": http_server.answer("/")}, state=State.UNKNOWN)
    signed_in(client, alice)
    client.post(reverse("status:check_now", args=["web"]))
    assert Service.objects.get(pk=web.pk).state == State.UP
    client.post(reverse("status:mute", args=["web"]), {"until": "4h"})
    muted = Service.objects.get(pk=web.pk).muted_until
    assert timedelta(hours=3.9) < muted - timezone.now() < timedelta(hours=4.1)
    client.post(reverse("status:pause", args=["web"]), {"paused": "1"})
    web.refresh_from_db()
    assert (web.state, web.enabled) == (State.PAUSED, False)
    assert engine.run_round() == 0
    client.post(reverse("status:pause", args=["web"]), {"paused": "0"})
    assert Service.objects.get(pk=web.pk).enabled


def test_the_service_page_shows_what_to_do_and_history(client, bob):
    service("nas", label="NAS", what_to_do="Check that it has power.", state=State.DOWN, message="no answer")
    html = signed_in(client, bob).get(reverse("status:service", args=["nas"])).content.decode()
    assert "Check that it has power." in html
    assert "no answer" in html


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ([], "No services are watched yet."),
        ([("a", State.UP), ("b", State.UP)], "All 2 services are working."),
        ([("a", State.UNKNOWN)], "The one service has not been checked yet."),
        ([("a", State.UNKNOWN, 1)], "The one service is failing its first checks."),
        ([("a", State.UNKNOWN), ("b", State.UNKNOWN)], "None of the 2 services work yet: 2 are not checked yet."),
        ([("a", State.UP), ("b", State.UNKNOWN)], "1 of 2 services are working: 1 is not checked yet."),
        (
            [("a", State.UNKNOWN, 1), ("b", State.UNKNOWN), ("c", State.UNKNOWN, 1)],
            "None of the 3 services work yet: 2 are failing their first checks and 1 is not checked yet.",
        ),
        ([("chat", State.DOWN), ("b", State.UP)], "Chat is down since {t}: no answer. Everything else works."),
        ([("backup", State.DEGRADED), ("b", State.UP)], "Backup works, but late. Everything else works."),
    ],
)
def test_the_dashboard_sentence(setup, expected):
    for name, state, *fails in setup:
        message = {"degraded": "late", "down": "no answer"}.get(state, "")
        service(name, state=state, message=message, fail_count=fails[0] if fails else 0)
    moment = timezone.localtime(timezone.now()).strftime("%H:%M")
    assert selectors.sentence() == expected.format(t=moment)


def test_the_sentence_folds_dependents_under_their_cause(http_server):
    http_server.stop()
    nas = Service.objects.create(
        name="nas",
        label="The NAS",
        kind=Kind.TCP,
        check_config={"host": "127.0.0.1", "port": http_server.port},
        retries=0,
    )
    for name in ("forgejo", "n8n", "grafana"):
        dep = Service.objects.create(
            name=name, label=name.title(), kind=Kind.HTTP, check_config={"url": http_server.url("/")}, retries=0
        )
        dep.depends_on.add(nas)
    service("chat", label="Chat")
    engine.run_round()
    since = timezone.localtime(Service.objects.get(name="nas").state_since).strftime("%H:%M")
    assert selectors.sentence() == (
        f"The NAS is down since {since}, so Forgejo, Grafana and N8N are unreachable. Everything else works."
    )


def test_the_home_page_shows_the_one_line_with_the_board_one_tap_away(client, bob):
    service("a")
    html = signed_in(client, bob).get("/").content.decode()
    assert "The one service works." in html
    assert '<a href="/status/">Status board</a>' in html


def _machines(states: dict[str, list[str]]) -> None:
    for host_name, on_host in states.items():
        host = Host.objects.create(name=host_name)
        for index, state in enumerate(on_host):
            service(f"{host_name.lower()}-{index}", host=host, state=state, label=f"{host_name} {index}")


@pytest.mark.parametrize(
    ("machines", "expected"),
    [
        ({}, "No services are watched yet."),
        ({"NAS": [State.UP, State.UP]}, "All 2 services work."),
        ({"NAS": [State.UNKNOWN, State.UP]}, "1 service is not checked yet."),
        (  # six down services on two dark machines read as one clause, not six sentences
            {"NAS": [State.DOWN] * 3, "Mini": [State.DOWN, State.UNREACHABLE, State.DOWN], "Studio": [State.UP]},
            "2 machines are not answering: Mini and NAS; 6 services wait for them.",
        ),
        (
            {"NAS": [State.DOWN], "Studio": [State.UP, State.DEGRADED]},
            "1 machine is not answering: NAS; 1 service waits for it. Studio 1 works only partly.",
        ),
        (
            {"Studio": [State.UP, State.DOWN, State.DEGRADED, State.DOWN]},
            "3 services have a problem.",
        ),
    ],
)
def test_the_home_page_line_stays_one_line_whatever_the_number_of_problems(machines, expected):
    _machines(machines)
    assert selectors.headline() == expected


def test_the_board_shows_version_drift(client, bob):
    service("forgejo", label="Forgejo", version="1.21.0", version_since=timezone.now() - timedelta(days=240))
    html = signed_in(client, bob).get(reverse("status:index")).content.decode()
    assert "1.21.0, unchanged for 7\xa0months" in html, html[html.find("Forgejo") : html.find("Forgejo") + 300]


def test_check_now_on_a_paused_service_asks_to_resume_first(client, alice):
    web = service("web", state=State.PAUSED, enabled=False)
    response = signed_in(client, alice).post(reverse("status:check_now", args=["web"]), follow=True)
    assert "Web is paused. Resume it first" in response.content.decode()
    assert Service.objects.get(pk=web.pk).state == State.PAUSED


def test_a_chart_needs_two_measurements():
    assert selectors.sparkline_svg_path([None, 12.0, None]) == ""
    assert selectors.sparkline_svg_path([10.0, None, 20.0]).startswith("M0.0,")


def test_the_board_puts_problems_first_counts_states_and_explains_the_unreachable(http_server):
    http_server.stop()
    home = Host.objects.create(name="Home server")
    nas_host = Host.objects.create(name="NAS")
    service("zigbee", host=home, label="Zigbee bridge")
    nas = Service.objects.create(
        name="nas", label="NAS storage", host=nas_host, kind=Kind.TCP, retries=0,
        check_config={"host": "127.0.0.1", "port": http_server.port},
    )  # fmt: skip
    photos = Service.objects.create(
        name="photos", label="Photos", host=home, kind=Kind.HTTP, retries=0, check_config={"url": http_server.url("/")}
    )
    photos.depends_on.add(nas)
    service("alpha", host=home, label="Alpha", state=State.DEGRADED, message="answered in 2.1 s")
    service("backup", label="Backup", state=State.PAUSED, enabled=False)
    engine.run_round()
    board = selectors.board()
    # Hosts with a problem come first, and in each host the worst state first.
    assert [host for host, _ in board.groups] == ["Home server", "NAS", "Other services and jobs"]
    home_rows = board.groups[0][1]
    assert [(r.service.label, r.service.state) for r in home_rows] == [
        ("Photos", State.UNREACHABLE),
        ("Alpha", State.DEGRADED),
        ("Zigbee bridge", State.UP),
    ]
    # The row says what it waits for, not its own connection error.
    assert home_rows[0].reason == "Depends on NAS storage, which is down."
    assert "refused the connection" in board.groups[1][1][0].reason
    assert board.counts == [
        ("up", 1, "ok"),
        ("slow or partly working", 1, "warn"),
        ("down", 1, "bad"),
        ("waiting for another", 1, "bad"),
        ("paused", 1, "none"),
    ]
    # One check so far: no percentage yet, and a bar of one red tick.
    nas_row = board.groups[1][1][0]
    since = timezone.localtime(timezone.now()).strftime("%H:%M")
    assert nas_row.uptime == f"checked since {since}"
    assert [t.css for t in nas_row.bar] == ["bad"]


def test_uptime_is_shown_only_for_the_windows_the_history_covers():
    now = timezone.now()
    since = f"since {timezone.localtime(now - timedelta(hours=2)):%H:%M}"
    uptime = selectors._uptime  # the rule alone; the board test above reads it from real checks
    assert uptime([0, 0, 0], [None, None, None], None, now) == ""
    assert uptime([3, 3, 3], [0.0, 0.0, 0.0], now - timedelta(hours=2), now) == f"checked {since}"
    assert uptime([120, 120, 120], [0.5, 0.5, 0.5], now - timedelta(hours=2), now) == f"50.0% {since}"
    assert uptime([1440, 5000, 5000], [1.0, 0.99, 0.99], None, now) == "100% 24 h · 99.0% 7 d"
    assert uptime([1440, 10080, 90000], [1.0, 0.99, 0.95], None, now) == "100% 24 h · 99.0% 7 d · 95.0% 90 d"
