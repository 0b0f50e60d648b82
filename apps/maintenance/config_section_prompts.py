"""The `prompt_sets` section of the config file: the household's own questions per alias, for
model-update trials (apps/maintenance/trials.py).

    prompt_sets:
      - alias: assistant
        name: Everyday questions
        prompts:
          - What can I cook tonight with leeks, potatoes and some cheese?
          - Explain to a ten-year-old why the sky is blue.

Upserted by alias and name; the file's prompts become the set's, in the file's order. A
prompt that a trial has answered is kept (after the others), so old trials stay readable.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError

from apps.core import config
from apps.gateway.models import Route
from apps.maintenance import trials
from apps.maintenance.models import Prompt, PromptSet, TrialAnswer

FIELDS = {"alias", "name", "prompts"}


def export() -> list[dict[str, Any]]:
    return [
        {"alias": s.alias, "name": s.name, "prompts": [p.text for p in s.prompts.all()]}
        for s in PromptSet.objects.prefetch_related("prompts").order_by("alias", "name")
    ]


def validate(items: list[Any], report: config.Report, document: dict[str, Any]) -> list[dict]:
    aliases = {str(i.get("alias")) for i in document.get("routes") or [] if isinstance(i, dict) and i.get("alias")}
    aliases |= set(Route.objects.values_list("alias", flat=True))
    rows: list[dict] = []
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        path = ("prompt_sets", index)
        if not config.check_keys(item, path, report, FIELDS, {"alias", "name", "prompts"}):
            continue
        row = {
            "alias": config.field_text(item, "alias", path, report),
            "name": config.field_text(item, "name", path, report),
        }
        if config.model_errors(PromptSet(**row), path, report) and row["alias"] not in aliases:
            report.error((*path, "alias"), f"no route {row['alias']!r} in this file or the portal")
        key = (row["alias"], row["name"])
        if key in seen:
            report.error(
                (*path, "name"),
                f"a second prompt set {row['name']!r} for {row['alias']!r} (first at prompt_sets[{seen[key]}])",
            )
        seen.setdefault(key, index)
        prompts = item.get("prompts")
        if not isinstance(prompts, list) or not prompts:
            report.error((*path, "prompts"), "must be a list of questions, at least one")
            prompts = []
        elif len(prompts) > trials.PROMPTS_PER_SET:
            report.error(
                (*path, "prompts"), f"at most {trials.PROMPTS_PER_SET} prompts in a set (this one has {len(prompts)})"
            )
            prompts = []
        texts = []
        for number, text in enumerate(prompts):
            ppath = (*path, "prompts", number)
            if not isinstance(text, str) or not text.strip():
                report.error(ppath, "must be the text of a question")
                continue
            try:  # the model's own bounds, reported at the prompt itself
                Prompt(text=text.strip()).full_clean(exclude=["prompt_set"], validate_unique=False)
            except ValidationError as exc:
                for message in exc.messages:
                    report.error(ppath, message)
            texts.append(text.strip())
        rows.append({**row, "prompts": texts})
    return rows


def _apply_prompts(prompt_set: PromptSet, texts: list[str]) -> bool:
    """The set's prompts become `texts` in order; True when anything changed."""
    existing = list(prompt_set.prompts.all())
    if [p.text for p in existing] == texts:
        return False
    by_text: dict[str, list[Prompt]] = {}
    for prompt in existing:
        by_text.setdefault(prompt.text, []).append(prompt)
    kept: list[Prompt] = []
    for order, text in enumerate(texts, start=1):
        prompt = by_text[text].pop(0) if by_text.get(text) else Prompt(prompt_set=prompt_set, text=text)
        prompt.order = order
        prompt.full_clean()
        prompt.save()
        kept.append(prompt)
    answered = set(TrialAnswer.objects.filter(prompt__prompt_set=prompt_set).values_list("prompt_id", flat=True))
    order = len(texts)
    for leftovers in by_text.values():
        for prompt in leftovers:
            if prompt.pk in answered:  # an old trial still reads it
                order += 1
                Prompt.objects.filter(pk=prompt.pk).update(order=order)
            else:
                prompt.delete()
    return True


def apply(rows: list[dict]) -> Counter:
    plain = [{"alias": row["alias"], "name": row["name"]} for row in rows]
    done = config.upsert(PromptSet, plain, key=("alias", "name"), save=trials.prompt_set_save)
    for row in rows:
        key = (row["alias"], row["name"])
        if _apply_prompts(done.objects[key], row["prompts"]):
            done.touched(key)
    return done.counts


SECTION = config.Section(
    name="prompt_sets",
    order=75,
    export=export,
    validate=validate,
    apply=apply,
    help="The household's own questions per alias, to try a new model on (model-update trials).",
)
