"""The `presets` section: import, export, errors with their lines."""

from __future__ import annotations

import pytest
import yaml

from apps.chat.models import Preset
from apps.core import config

pytestmark = pytest.mark.django_db

DOCUMENT = """
members:
  - {username: sam, name: Sam, role: family}
presets:
  - {name: Short answers, role: family, prompt: Answer briefly.}
  - {name: Homework helper, member: sam, prompt: Explain the steps., locked: true}
"""


def test_presets_round_trip():
    result = config.import_text(DOCUMENT)
    assert not result.errors, result.errors
    helper = Preset.objects.get(name="Homework helper")
    assert helper.member.username == "sam" and helper.role == "" and helper.locked
    assert Preset.objects.get(name="Short answers").role == "family"
    again = config.import_text(yaml.safe_dump(yaml.safe_load(config.export_text())))
    assert not again.errors and again.counts["presets"]["unchanged"] == 2


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("presets:\n  - {name: a, prompt: b}\n", "presets[0].role: Choose who this preset is for: a role or a member."),
        ("presets:\n  - {name: a, prompt: b, role: kids}\n", "presets[0].role: must be one of"),
        ("presets:\n  - {name: a, prompt: b, member: ghost}\n", "no member called 'ghost'"),
        (
            "presets:\n  - {name: a, prompt: b, role: family, locked: true}\n"
            "  - {name: c, prompt: d, role: family, locked: true}\n",
            "presets[1].locked: only one locked preset per role",
        ),
    ],
)
def test_errors_name_the_entry(document, message):
    result = config.import_text(document)
    assert any(message in str(error) for error in result.errors), result.errors


def test_a_locked_preset_in_the_portal_is_named():
    Preset.objects.create(name="Old helper", prompt="x", role="family", locked=True)
    result = config.import_text("presets:\n  - {name: New helper, prompt: y, role: family, locked: true}\n")
    assert any(
        "presets[0].locked: The family role already has a locked preset, “Old helper”" in str(error)
        for error in result.errors
    )
