"""The prompt_sets section: import, export, errors at their lines, bounds, and the example household."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from apps.core import config
from apps.maintenance import trials
from apps.maintenance.models import Prompt, PromptSet, Trial, TrialAnswer

pytestmark = pytest.mark.django_db

DOCUMENT = """
backends:
  - {name: studio, base_url: "http://127.0.0.1:9/v1"}
routes:
  - alias: assistant
    targets:
      - {backend: studio, model: "llama3.1:8b"}
prompt_sets:
  - alias: assistant
    name: Everyday questions
    prompts:
      - What can I cook with leeks?
      - Why is the sky blue?
"""


def test_import_then_export_round_trips():
    result = config.import_text(DOCUMENT)
    assert not result.errors, result.errors
    prompt_set = PromptSet.objects.get(alias="assistant", name="Everyday questions")
    texts = list(prompt_set.prompts.values_list("text", flat=True))
    assert texts == ["What can I cook with leeks?", "Why is the sky blue?"]
    exported = yaml.safe_load(config.export_text())
    assert exported["prompt_sets"] == [
        {
            "alias": "assistant",
            "name": "Everyday questions",
            "prompts": ["What can I cook with leeks?", "Why is the sky blue?"],
        }
    ]
    again = config.import_text(config.export_text())
    assert not again.errors and again.counts["prompt_sets"]["unchanged"] == 1


def test_the_files_prompts_become_the_sets_but_answered_ones_stay():
    config.import_text(DOCUMENT)
    prompt_set = PromptSet.objects.get()
    sky = Prompt.objects.get(text="Why is the sky blue?")
    trial = Trial.objects.create(
        prompt_set=prompt_set,
        alias="assistant",
        current_backend="studio",
        current_model="a",
        candidate_backend="studio",
        candidate_model="b",
    )
    TrialAnswer.objects.create(trial=trial, prompt=sky, side="current", text="Rayleigh.")
    changed = DOCUMENT.replace("      - Why is the sky blue?\n", "      - A board game for four?\n")
    result = config.import_text(changed)
    assert not result.errors and result.counts["prompt_sets"]["updated"] == 1
    texts = list(prompt_set.prompts.values_list("text", flat=True))
    assert texts == ["What can I cook with leeks?", "A board game for four?", "Why is the sky blue?"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("  - {alias: nowhere, name: X, prompts: [Hi]}", "prompt_sets[0].alias: no route 'nowhere' in this file"),
        ("  - {alias: 'a b', name: X, prompts: [Hi]}", "prompt_sets[0].alias: letters, digits"),
        ("  - {alias: assistant, name: X, prompts: []}", "prompt_sets[0].prompts: must be a list of questions"),
        ("  - {alias: assistant, name: X, prompts: [[1]]}", "prompt_sets[0].prompts[0]: must be the text"),
        ("  - {alias: assistant, name: X, prompts: [Hi], extra: 1}", "prompt_sets[0].extra: unknown field"),
    ],
)
def test_mistakes_are_reported_at_their_line(entry, message):
    text = DOCUMENT.split("prompt_sets:")[0] + "prompt_sets:\n" + entry + "\n"
    result = config.import_text(text)
    assert result.errors and not PromptSet.objects.exists()
    assert any(str(e).startswith(message) and "line 9" in str(e) for e in result.errors), result.errors


def test_a_set_too_large_or_a_prompt_too_long_is_refused():
    many = "\n".join(f"      - Question {n}?" for n in range(trials.PROMPTS_PER_SET + 1))
    result = config.import_text(DOCUMENT.split("    prompts:")[0] + "    prompts:\n" + many + "\n")
    assert [str(e) for e in result.errors][0].startswith("prompt_sets[0].prompts: at most 30 prompts")
    long = DOCUMENT.replace("Why is the sky blue?", "x" * 16_001)
    result = config.import_text(long)
    assert "prompt_sets[0].prompts[1]: Too long: at most 16000 characters" in str(result.errors[0])


def test_the_example_household_has_a_prompt_set_for_the_assistant():
    example = (Path(config.__file__).parent / "example" / "household.yaml").read_text()
    result = config.import_text(example)
    assert not result.errors, result.errors
    prompt_set = PromptSet.objects.get(alias="assistant")
    assert prompt_set.prompts.count() == 5
