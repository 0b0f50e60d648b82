"""The steps of a runbook: its Markdown task-list items, outside code fences.

    - [ ] Check that the Studio's light is on
    * [x] Open the NAS panel
    1. [ ] Restart Ollama

A run-through copies them into RunStep rows (runs.run_start) and the run page shows the body
cut at them (`segments`), each step a big checkbox with the text that follows it. Bounded:
a body is at most BODY_LIMIT characters (the model's rule) and only the first MAX_STEPS items
count, so a hostile or pasted-in body cannot make thousands of rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from apps.runbooks.models import BODY_LIMIT, RunStep

MAX_STEPS = 200
TEXT_LIMIT = RunStep._meta.get_field("text").max_length or 1000

# A list marker (-, *, + or 1. / 1)), then [ ], [x] or [X], then the step's text.
_TASK = re.compile(r"^(?P<indent>[ \t]{0,12})(?:[-*+]|\d{1,9}[.)])[ \t]+\[(?P<mark>[ xX])\][ \t]+(?P<text>\S.*)$")
# A code fence: ``` or ~~~, three or more, indented up to three spaces (CommonMark).
_FENCE = re.compile(r"^[ ]{0,3}(?P<fence>`{3,}|~{3,})")


@dataclass
class Step:
    index: int  # 0-based: the nth task-list item of the body
    text: str
    checked: bool  # ticked in the body itself ([x]): shown, but a run starts with it open
    line: int  # 0-based line number in the body
    detail: list[str] = field(default_factory=list)  # the item's indented continuation lines


@dataclass
class Segment:
    """A piece of the body as the run page shows it: Markdown between steps, or a step."""

    markdown: str = ""
    step: Step | None = None


def _lines(body: str) -> list[str]:
    return body[:BODY_LIMIT].replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _outside_fences(lines: list[str]) -> list[bool]:
    """For each line, whether it is outside a fenced code block (the fence lines are inside)."""
    outside, fence = [], ""
    for line in lines:
        match = _FENCE.match(line)
        if fence:
            outside.append(False)
            if (
                match
                and match["fence"][0] == fence[0]
                and len(match["fence"]) >= len(fence)
                and not line.strip("`~ \t")
            ):
                fence = ""
        elif match:
            fence = match["fence"]
            outside.append(False)
        else:
            outside.append(True)
    return outside


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def parse(body: str) -> list[Step]:
    """The body's steps, in order, at most MAX_STEPS."""
    return [segment.step for segment in segments(body) if segment.step is not None]


def segments(body: str) -> list[Segment]:
    """The body cut into Markdown and steps. A step takes the lines indented under it (its
    details: a command, a note) until the next step or an unindented line; blank lines
    inside stay with it when indented text follows."""
    lines = _lines(body)
    outside = _outside_fences(lines)
    result: list[Segment] = []
    text: list[str] = []
    current: Step | None = None
    count = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _TASK.match(line) if outside[i] else None
        if match and count < MAX_STEPS:
            if text:
                result.append(Segment(markdown="\n".join(text)))
                text = []
            current = Step(index=count, text=_clip(match["text"]), checked=match["mark"] != " ", line=i)
            result.append(Segment(step=current))
            count += 1
            i += 1
            continue
        if current is not None and _continues(lines, i):
            current.detail.append(line)
            i += 1
            continue
        current = None
        text.append(line)
        i += 1
    if text and any(part.strip() for part in text):
        result.append(Segment(markdown="\n".join(text)))
    return result


def _continues(lines: list[str], i: int) -> bool:
    """Whether line i still belongs to the step above: indented, or blank with indented text
    after it (and no unindented line in between)."""
    line = lines[i]
    if line.strip():
        return line[:1] in (" ", "\t")
    for later in lines[i + 1 :]:
        if later.strip():
            return later[:1] in (" ", "\t") and not _TASK.match(later)
    return False


def detail_markdown(step: Step) -> str:
    """The step's indented lines, dedented, as Markdown of their own."""
    lines = [line.expandtabs(4) for line in step.detail]
    while lines and not lines[-1].strip():
        lines.pop()
    indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(line[cut:] for line in lines)
