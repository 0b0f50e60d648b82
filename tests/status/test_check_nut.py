"""The UPS check against Debian's real NUT server (upsd + the dummy-ups driver)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from apps.ledger import figures
from apps.status import engine
from apps.status.checks import run_probes
from apps.status.kinds.base import Probe
from apps.status.models import Kind, Service, State
from tests.fixtures.nut_server import NUTServer, find_program, free_port

pytestmark = pytest.mark.skipif(
    not (find_program("upsd") and find_program("dummy-ups")),
    reason="NUT's upsd or dummy-ups driver is not installed (Debian package nut-server)",
)


@pytest.fixture(scope="module")
def nut(tmp_path_factory):
    server = NUTServer(tmp_path_factory.mktemp("nut")).start()
    yield server
    server.stop()


def run(check: dict, timeout: float = 5.0):
    return asyncio.run(run_probes([Probe(1, "nut", check, timeout)]))[0]


def ups(nut: NUTServer, **extra) -> dict:
    return {"host": "127.0.0.1", "port": nut.port, "ups": nut.ups, **extra}


def test_it_is_up_on_mains_power_and_keeps_the_battery_figures(nut):
    nut.set_status("OL", charge=100, runtime=2400, load=23)
    outcome = run(ups(nut))
    assert outcome.state == State.UP
    assert outcome.message == "on mains power, battery 100%"
    assert outcome.data == {"battery.charge": 100.0, "battery.runtime": 2400.0, "ups.load": 23.0}
    assert outcome.latency_ms is not None


def test_it_is_degraded_on_battery_with_the_minutes_left(nut):
    nut.set_status("OB DISCHRG", charge=80, runtime=1380)
    outcome = run(ups(nut))
    assert outcome.state == State.DEGRADED
    assert outcome.message == "on battery, 23 min left"
    assert outcome.data["battery.charge"] == 80.0


def test_it_is_down_when_the_battery_is_low(nut):
    nut.set_status("OB LB", charge=8, runtime=240)
    outcome = run(ups(nut))
    assert outcome.state == State.DOWN
    assert outcome.message == "battery low: 4 min left"


def test_a_low_battery_back_on_mains_is_degraded_while_it_recharges(nut):
    nut.set_status("OL CHRG LB", charge=9, runtime=300)
    outcome = run(ups(nut))
    assert (outcome.state, outcome.message) == (State.DEGRADED, "on mains power, but the battery is low (battery 9%)")


def test_an_old_battery_on_mains_is_degraded(nut):
    nut.set_status("OL RB", charge=100, runtime=600)
    outcome = run(ups(nut))
    assert outcome.state == State.DEGRADED
    assert "the battery needs replacing" in outcome.message


def test_an_unknown_ups_name_is_down_in_plain_words(nut):
    outcome = run(ups(nut, ups="attic"))
    assert outcome.state == State.DOWN
    assert outcome.message == "the UPS server does not know a UPS called 'attic'"


def test_a_closed_port_is_down():
    port = free_port()
    outcome = run({"host": "127.0.0.1", "port": port, "ups": "ups"})
    assert outcome.state == State.DOWN
    assert outcome.message == f"port {port}: refused the connection (nothing is listening there)"


def test_a_ups_name_that_would_inject_a_command_is_refused(nut):
    outcome = run(ups(nut, ups="ups\nFSD ups"))
    assert outcome.state == State.DOWN
    assert "the check's settings are wrong" in outcome.message


def test_a_lost_driver_is_down(tmp_path):
    server = NUTServer(tmp_path).start()
    try:
        server.stop_driver()
        server.wait_for(lambda status: status.startswith("ERR"))
        outcome = run(ups(server))
    finally:
        server.stop()
    assert outcome.state == State.DOWN
    assert outcome.message.startswith("the UPS server has lost touch with the UPS")


@pytest.mark.django_db
def test_the_engine_keeps_the_last_figures_on_the_service(nut):
    nut.set_status("OB", charge=55, runtime=900, load=30)
    service = Service.objects.create(name="ups", label="UPS", kind=Kind.NUT, check_config=ups(nut), retries=0)
    engine.check_now(service)
    service.refresh_from_db()
    assert service.state == State.DEGRADED
    assert service.message == "on battery, 15 min left"
    assert service.details == {"battery.charge": 55.0, "battery.runtime": 900.0, "ups.load": 30.0}


@pytest.mark.django_db
def test_the_check_keeps_the_power_figures_the_ledger_measures_electricity_from(tmp_path):
    server = NUTServer(tmp_path).start()
    power = {"ups.realpower": "142", "ups.realpower.nominal": "900", "ups.power.nominal": "1500", "ups.power": "180"}
    try:
        server.set_status("OL", charge=100, runtime=2400, load=15, extra=power)
        service = Service.objects.create(name="ups", label="UPS", kind=Kind.NUT, check_config=ups(server), retries=0)
        engine.check_now(service)
    finally:
        server.stop()
    service.refresh_from_db()
    assert service.details == {
        "battery.charge": 100.0,
        "battery.runtime": 2400.0,
        "ups.load": 15.0,
        "ups.realpower": 142.0,
        "ups.realpower.nominal": 900.0,
        "ups.power.nominal": 1500.0,
        "ups.power": 180.0,
    }
    assert figures.ups_watts(service.details) == Decimal("142.0")  # measured, not the VA
