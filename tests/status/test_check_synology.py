"""The Synology check against a local fake of DSM's Web API (tests/fixtures/fake_dsm.py)."""

from __future__ import annotations

import asyncio
import time

import pytest

from apps.status.checks import run_probes
from apps.status.kinds.base import Probe
from apps.status.models import State
from tests.fixtures.fake_dsm import FakeDSM, disk, volume
from tests.status.test_checks import free_port

PASSWORD_ENV = "HOMEOPS_TEST_NAS_PASSWORD"


@pytest.fixture
def nas(monkeypatch):
    server = FakeDSM().start()
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    yield server
    server.stop()


def run(nas: FakeDSM, timeout: float = 2.0, **extra):
    check = {"url": nas.url, "account": nas.account, "password_env": PASSWORD_ENV, **extra}
    return asyncio.run(run_probes([Probe(1, "synology", check, timeout)]))[0]


def test_a_healthy_nas_is_up_with_its_version_and_volumes(nas):
    outcome = run(nas)
    assert outcome.state == State.UP
    assert outcome.message == "storage healthy (1 volume, 2 disks)"
    assert outcome.version == "DSM 7.2.2-72806 Update 2"
    assert outcome.data == {
        "volumes": {"Volume 1": {"status": "normal", "total_bytes": 7672662867968, "used_bytes": 3145728000000}},
        "disks": 2,
        "disks_failing": 0,
    }


def test_it_logs_out_and_keeps_the_password_out_of_urls(nas):
    run(nas)
    assert nas.sessions == set()
    assert [(c["api"], c["method"]) for c in nas.calls] == [
        ("SYNO.API.Auth", "login"),
        ("SYNO.Storage.CGI.Storage", "load_info"),
        ("SYNO.DSM.Info", "getinfo"),
        ("SYNO.API.Auth", "logout"),
    ]
    assert nas.calls[0]["http"] == "POST"
    assert not any(c["passwd_in_url"] for c in nas.calls)


@pytest.mark.parametrize(
    ("volumes", "disks", "state", "message"),
    [
        ([volume(1, "degraded")], [disk(1), disk(2)], State.DEGRADED, "Volume 1 is degraded"),
        ([volume(1), volume(2, "crashed")], [disk(1), disk(2)], State.DOWN, "Volume 2 has crashed"),
        ([volume(1)], [disk(1), disk(2, smart="failing")], State.DEGRADED, "Drive 2 reports a problem (failing)"),
        ([volume(1)], [disk(1, overview="warning"), disk(2)], State.DEGRADED, "Drive 1 reports a problem (warning)"),
        (
            [volume(1, "crashed")],
            [disk(1), disk(2, smart="failing", overview="failing")],
            State.DOWN,
            "Volume 1 has crashed; Drive 2 reports a problem (failing)",
        ),
    ],
)
def test_storage_problems(nas, volumes, disks, state, message):
    nas.volumes, nas.disks = volumes, disks
    outcome = run(nas)
    assert (outcome.state, outcome.message) == (state, message)
    assert nas.sessions == set()


def test_a_failing_disk_is_counted(nas):
    nas.disks = [disk(1), disk(2, smart="failing")]
    assert run(nas).data["disks_failing"] == 1


def test_a_refused_account_is_down_in_plain_words(nas, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "guess")
    outcome = run(nas)
    assert outcome.state == State.DOWN
    assert outcome.message == "the NAS refused the read-only account (wrong account name or password)"
    assert [c["method"] for c in nas.calls] == ["login"]


def test_a_disabled_account_says_so(nas):
    nas.login_error = 401
    outcome = run(nas, account="someone-else")
    assert outcome.message == "the NAS refused the read-only account (the account is disabled)"


def test_an_account_that_may_not_see_storage_is_down_and_still_logs_out(nas):
    nas.storage_error = 105
    outcome = run(nas)
    assert outcome.state == State.DOWN
    assert outcome.message == "the NAS would not show its storage to the read-only account (code 105)"
    assert nas.sessions == set()


def test_a_missing_password_variable_is_a_settings_error(nas, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV)
    outcome = run(nas)
    assert outcome.state == State.DOWN
    assert outcome.message == f"the check's settings are wrong: the environment variable {PASSWORD_ENV} is not set"
    assert nas.calls == []


def test_a_nas_that_does_not_answer_is_down():
    port = free_port()
    check = {"url": f"http://127.0.0.1:{port}", "account": "ro", "password_env": "PATH"}
    outcome = asyncio.run(run_probes([Probe(1, "synology", check, 2.0)]))[0]
    assert outcome.state == State.DOWN
    assert outcome.message.startswith("refused the connection")


def test_a_nas_that_hangs_is_down_within_the_timeout(nas):
    nas.storage_delay = 3
    started = time.monotonic()
    outcome = run(nas, timeout=0.5)
    assert (outcome.state, outcome.message) == (State.DOWN, "did not answer within 0.5 s")
    assert time.monotonic() - started < 2  # no logout waited for after the timeout
