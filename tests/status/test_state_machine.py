"""The state machine as tables."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.status.models import State
from apps.status.state_machine import after_check, heartbeat_state, root_cause

UP, DEG, DOWN, UNK, UNR = State.UP, State.DEGRADED, State.DOWN, State.UNKNOWN, State.UNREACHABLE


@pytest.mark.parametrize(
    ("current", "fails", "outcome", "retries", "expected"),
    [
        (UNK, 0, UP, 1, (UP, 0)),
        (UP, 0, DEG, 1, (DEG, 0)),
        (UP, 0, DOWN, 1, (UP, 1)),  # one failure is tolerated with retries=1
        (UP, 1, DOWN, 1, (DOWN, 2)),  # the second is not
        (UP, 0, DOWN, 0, (DOWN, 1)),  # retries=0: DOWN at once
        (UNK, 0, DOWN, 2, (UNK, 1)),
        (UNK, 2, DOWN, 2, (DOWN, 3)),
        (DOWN, 5, UP, 1, (UP, 0)),  # recovery is immediate
        (DOWN, 5, DOWN, 1, (DOWN, 6)),
        (DEG, 0, DOWN, 1, (DEG, 1)),
    ],
)
def test_after_check(current, fails, outcome, retries, expected):
    assert after_check(current=current, fail_count=fails, outcome=outcome, retries=retries) == expected


NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("last_ping", "kind", "start", "expected", "words"),
    [
        (None, "", None, UNK, "waiting for the first ping"),
        (NOW - 2 * H, "success", None, UP, "pinged on time"),
        (NOW - 25 * H, "success", None, DEG, "late"),  # period 24 h, grace 2 h
        (NOW - 27 * H, "success", None, DOWN, "no ping since"),
        (NOW - 1 * H, "fail", None, DOWN, "reported a failure"),
        (NOW - 1 * H, "3", None, DOWN, "exited with status 3"),
        (NOW - 10 * H, "success", NOW - H, UP, "running now"),
        (NOW - 10 * H, "success", NOW - 3 * H, DOWN, "did not finish within the grace"),
        (NOW - H, "success", NOW - 2 * H, UP, "pinged on time"),  # the start was followed by a ping
    ],
)
def test_heartbeat_state(last_ping, kind, start, expected, words):
    state, message = heartbeat_state(
        now=NOW, last_ping_at=last_ping, last_ping_kind=kind, last_start_at=start, period=86400, grace=7200
    )
    assert state == expected
    assert words in message


@pytest.mark.parametrize(
    ("states", "deps", "service", "cause"),
    [
        ({1: DOWN, 2: DOWN}, {2: [1]}, 2, 1),  # forgejo (2) depends on the NAS (1)
        ({1: UP, 2: DOWN}, {2: [1]}, 2, None),  # the NAS works: forgejo's own failure
        ({1: DOWN, 2: UNR, 3: DOWN}, {3: [2], 2: [1]}, 3, 1),  # the deepest failure is the cause
        ({1: DOWN, 2: DOWN}, {}, 2, None),
        ({1: DOWN, 2: DOWN}, {1: [2], 2: [1]}, 2, 1),  # a loop does not hang
    ],
)
def test_root_cause(states, deps, service, cause):
    assert root_cause(service, states, deps) == cause
