"""Pure functions that decide a service's state; table-tested in tests/status/test_state_machine.py."""

from __future__ import annotations

from datetime import datetime, timedelta

from apps.status.models import State

FAILING = {State.DOWN, State.UNREACHABLE}


def after_check(*, current: str, fail_count: int, outcome: str, retries: int) -> tuple[str, int]:
    """The state and consecutive-failure count after one check.

    A failure counts against `retries` before the service goes DOWN, so one lost packet does
    not page anyone; until then the service keeps its previous state.
    """
    if outcome == State.UP:
        return State.UP, 0
    if outcome == State.DEGRADED:
        return State.DEGRADED, 0
    failures = fail_count + 1
    if failures > retries:
        return State.DOWN, failures
    return current, failures


def heartbeat_state(
    *,
    now: datetime,
    last_ping_at: datetime | None,
    last_ping_kind: str,
    last_start_at: datetime | None,
    period: int,
    grace: int,
) -> tuple[str, str]:
    """new -> up -> late -> down, as Healthchecks does; a fail ping is DOWN at once."""
    grace_delta = timedelta(seconds=grace)
    if last_start_at and (last_ping_at is None or last_start_at > last_ping_at):
        if now - last_start_at > grace_delta:
            return State.DOWN, "started but did not finish within the grace time"
        return State.UP, "running now"
    if last_ping_at is None:
        return State.UNKNOWN, "waiting for the first ping"
    if last_ping_kind == "fail":
        return State.DOWN, "the last run reported a failure"
    if last_ping_kind == "short":
        return State.DOWN, "the last run finished too fast to have done its work"
    if last_ping_kind not in {"", "success", "0"}:
        return State.DOWN, f"the last run exited with status {last_ping_kind}"
    age = now - last_ping_at
    if age > timedelta(seconds=period) + grace_delta:
        return State.DOWN, "no ping since its period and grace ran out"
    if age > timedelta(seconds=period):
        return State.DEGRADED, "late: the expected ping has not come yet"
    return State.UP, "pinged on time"


def root_cause(service_id: int, states: dict[int, str], depends_on: dict[int, list[int]]) -> int | None:
    """The failing dependency, followed down to the service whose own failure explains the rest."""
    seen: set[int] = set()
    stack = list(depends_on.get(service_id, []))
    cause = None
    while stack:
        dep = stack.pop()
        if dep in seen:
            continue
        seen.add(dep)
        if states.get(dep) in FAILING:
            deeper = [d for d in depends_on.get(dep, []) if states.get(d) in FAILING]
            if not deeper:
                return dep
            cause = cause or dep
            stack.extend(deeper)
    return cause
