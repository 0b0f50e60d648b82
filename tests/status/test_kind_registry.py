"""The check-kind registry: every Kind has its module, each module gives the engine and the
config section what they need, and a kind registered elsewhere is validated and run."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from apps.core import config
from apps.status import engine, kinds
from apps.status.checks import run_probes
from apps.status.forms import ServiceForm
from apps.status.kinds.base import CheckKind, Outcome, Probe
from apps.status.models import Kind, Service, State


def test_the_registry_has_a_module_for_every_kind_choice():
    assert set(kinds.KINDS) == set(Kind.values)
    for value in Kind.values:
        assert kinds.kind_for(value).kind == value
        assert type(kinds.kind_for(value)).__module__ == f"apps.status.kinds.{value}"


@pytest.mark.parametrize("value", Kind.values)
def test_each_kind_gives_the_engine_and_the_config_section_what_they_need(value):
    kind = kinds.kind_for(value)
    assert isinstance(kind.summary, str) and kind.summary
    assert kind.required <= set(kind.options)
    assert all(callable(rule) for rule in kind.options.values())
    assert "kind" not in kind.options
    if kind.polled:
        assert inspect.iscoroutinefunction(kind.run)
        assert type(kind).run is not CheckKind.run
    else:
        assert kind.options == {}


def test_heartbeats_are_the_only_kind_the_engine_does_not_poll():
    assert engine.polled_kinds() == [v for v in Kind.values if v != Kind.HEARTBEAT]


def test_the_owner_form_offers_the_polled_kinds_with_their_words():
    field = ServiceForm().fields["kind"]
    assert [value for value, _ in field.choices] == engine.polled_kinds()
    assert "nut: a UPS watched through NUT" in field.help_text
    assert ServiceForm().fields["check_host"].help_text == "For tcp and nut checks."


def _say_rule(value: Any) -> str | None:
    return None if isinstance(value, str) and value else "must be some words"


class Echo(CheckKind):
    """A kind that asks no one: it answers with the words it was given."""

    kind = "echo"
    summary = "answers with its own words"
    options = {"say": _say_rule, "loud": lambda value: None}
    required = frozenset({"say"})

    def validate(self, settings: dict[str, Any], path: config.Path, report: config.Report) -> None:
        if settings.get("loud") and settings["say"] != settings["say"].upper():
            report.error((*path, "say"), "a loud echo says it in capitals")

    async def run(self, probe: Probe, session: Any) -> Outcome:
        return Outcome(State.UP, f"said {probe.check['say']}", 0.0)


@pytest.fixture
def echo():
    kinds.register(Echo)
    yield kinds.kind_for("echo")
    del kinds.KINDS["echo"]


def judged(kind: str, **settings: Any) -> list[str]:
    """What the model (Service.clean, hence the form and the file) says of a check."""
    try:
        Service(kind=kind, check_config=settings).clean()
    except ValidationError as exc:
        return exc.messages
    return []


def test_a_registered_kind_is_validated_by_its_own_rules(echo):
    assert judged("echo", say="hello") == []
    assert judged("echo") == ["check: say is required"]
    assert judged("echo", say="") == ["check.say: must be some words"]
    [unknown] = judged("echo", say="hi", port=80)
    assert unknown == "check.port: unknown field; expected one of loud, say"
    assert judged("echo", say="hi", loud=True) == ["check.say: a loud echo says it in capitals"]


def test_a_registered_kind_is_run_and_polled(echo):
    outcome = asyncio.run(run_probes([Probe(1, "echo", {"say": "hello"}, 1.0)]))[0]
    assert (outcome.state, outcome.message) == (State.UP, "said hello")
    assert "echo" in engine.polled_kinds()


@pytest.mark.django_db
def test_an_unknown_kind_names_the_kinds_there_are(echo):
    [error] = config.import_text("services:\n  - name: switch\n    check: {kind: snmp}\n").errors
    assert str(error).startswith("services[0].check.kind: must be one of echo, http, metric, nut")
