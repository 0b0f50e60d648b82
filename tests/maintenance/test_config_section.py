"""The `tasks` section: import, round trip, errors at the YAML path, the example rhythm."""

from __future__ import annotations

import textwrap
from datetime import date

import pytest
import yaml
from django.core.management import call_command

from apps.core import config
from apps.maintenance.models import MaintenanceTask

pytestmark = pytest.mark.django_db

DOC = textwrap.dedent(
    """\
    tasks:
      - title: Weekly look
        cadence: weekly
        starts: 2026-01-05
        estimate_minutes: 5
        assignee: bob
        checklist: [Board green, Backups ran]
      - title: Patch review
        rrule: FREQ=MONTHLY;BYDAY=2TU
        anchor: completion
        kind: patch_review
        category: security
        starts: "2026-01-01"
        assignee: family
        paused: true
    """
)


def test_tasks_import_and_round_trip(bob):
    result = config.import_text(DOC)
    assert result.ok, result.errors
    weekly = MaintenanceTask.objects.get(title="Weekly look")
    assert (weekly.cadence, weekly.starts, weekly.assignee, weekly.checklist) == (
        "weekly",
        date(2026, 1, 5),
        bob,
        ["Board green", "Backups ran"],
    )
    assert weekly.next_due is not None and weekly.next_due.weekday() == 0
    patch = MaintenanceTask.objects.get(title="Patch review")
    assert (patch.cadence, patch.rrule, patch.anchor, patch.assignee_role) == (
        "custom",
        "FREQ=MONTHLY;BYDAY=2TU",
        "completion",
        "family",
    )
    assert patch.paused and patch.next_due is None
    exported = config.export_text()
    assert "tasks: 0 new, 0 changed, 2 unchanged" in config.import_text(exported).summary()
    rows = {row["title"]: row for row in yaml.safe_load(exported)["tasks"]}
    assert rows["Weekly look"]["assignee"] == "bob" and rows["Patch review"]["rrule"] == "FREQ=MONTHLY;BYDAY=2TU"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{title: T, starts: 2026-01-01, rrule: FREQ=HOURLY}", "tasks[0].rrule: FREQ=HOURLY is finer than a day"),
        ("{title: T, starts: 2026-01-01, cadence: weekly, rrule: FREQ=DAILY}", "tasks[0].rrule: a rule is only used"),
        ("{title: T, starts: someday}", "tasks[0].starts: not a date like 2026-12-07"),
        ("{title: T, starts: 2026-01-01, assignee: zed}", "tasks[0].assignee: no member called 'zed'"),
        ("{title: T, starts: 2026-01-01, runbook: nope}", "tasks[0].runbook: no runbook with the address 'nope'"),
        ("{title: T, starts: 2026-01-01, cadence: hourly}", "tasks[0].cadence: Value 'hourly' is not a valid choice"),
        ("{title: T, starts: 2026-01-01, checklist: [a, '']}", "tasks[0].checklist: a checklist item cannot be empty"),
        ("{title: T, starts: 2026-01-01, estimate_minutes: 0}", "tasks[0].estimate_minutes: must be a whole number"),
        ("{title: T, starts: 2026-01-01, colour: red}", "tasks[0].colour: unknown field"),
        ("{title: T}", "tasks[0]: starts is required"),
    ],
)
def test_each_mistake_is_reported_at_its_path(entry, message):
    result = config.import_text(f"tasks:\n  - {entry}\n")
    assert any(str(error).startswith(message) or message in str(error) for error in result.errors), result.errors
    assert not MaintenanceTask.objects.exists()


def test_a_checklist_too_long_is_refused():
    items = ", ".join(f"item {n}" for n in range(51))
    result = config.import_text(f"tasks:\n  - {{title: T, starts: 2026-01-01, checklist: [{items}]}}\n")
    assert any("at most 50 checklist items" in str(error) for error in result.errors)


def test_the_example_household_brings_the_reference_rhythm(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMEOPS_OWNER_PASSWORD", "correct horse battery staple")
    call_command("bootstrap", "--example", "--no-input")
    kinds = dict(MaintenanceTask.objects.values_list("title", "kind"))
    assert kinds["Weekly look"] == "plain" and kinds["Monthly model update"] == "model_update"
    assert kinds["Quarterly restore exercise and audit"] == "audit"
    assert kinds["Monthly patch review"] == "patch_review" and "Annual architecture review" in kinds
    assert all(task.next_due is not None for task in MaintenanceTask.objects.all())
    call_command("bootstrap", "--example", "--no-input")  # idempotent
    assert MaintenanceTask.objects.count() == len(kinds)
