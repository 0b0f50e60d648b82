"""The difference between two texts, line by line (difflib), as rows a template shows.

Rows hold plain text; the templates escape it like any other text, so a body full of
`<script>` shows as words in a diff too. Two views of the same comparison:

- inline: one column, each line kept, removed ("-") or added ("+"), with both line numbers;
- side by side: the old text left, the new one right, changed lines facing each other, the
  words that differ between two facing lines marked.

Unchanged stretches longer than 2 * CONTEXT lines are folded into a "skip" row.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

CONTEXT = 3


@dataclass(frozen=True)
class Line:
    kind: str  # "same", "del", "add" or "skip"
    old: int | None  # 1-based line numbers; None where the line is not in that text
    new: int | None
    text: str


Part = tuple[bool, str]  # (differs from the facing line, text)


@dataclass(frozen=True)
class Pair:
    """A row of the side-by-side view: the old line left, the new one right (either may be missing)."""

    kind: str  # "same", "change", "del", "add" or "skip"
    old: int | None
    old_text: str
    new: int | None
    new_text: str

    @property
    def parts(self) -> tuple[list[Part], list[Part]]:
        """For a changed line: each side cut into runs of words, those that differ marked."""
        if self.kind != "change":
            return [(False, self.old_text)], [(False, self.new_text)]
        return words_compared(self.old_text, self.new_text)


@dataclass(frozen=True)
class Diff:
    inline: list[Line]
    side: list[Pair]
    added: int
    removed: int

    @property
    def same(self) -> bool:
        return not (self.added or self.removed)


_WORDS = re.compile(r"\s+|\w+|[^\w\s]")


def words_compared(old: str, new: str) -> tuple[list[Part], list[Part]]:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    left: list[Part] = []
    right: list[Part] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if i2 > i1:
            left.append((tag != "equal", "".join(a[i1:i2])))
        if j2 > j1:
            right.append((tag != "equal", "".join(b[j1:j2])))
    return left, right


def compare(old: str, new: str) -> Diff:
    a, b = old.splitlines(), new.splitlines()
    # difflib's matcher is quadratic at worst; its junk heuristic stays on for long texts.
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=len(a) + len(b) > 2000)
    inline: list[Line] = []
    side: list[Pair] = []
    added = removed = 0
    opcodes = matcher.get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            _equal(a, i1, i2, j1, first=index == 0, last=index == len(opcodes) - 1, inline=inline, side=side)
            continue
        removed += i2 - i1
        added += j2 - j1
        for n in range(i1, i2):
            inline.append(Line("del", n + 1, None, a[n]))
        for n in range(j1, j2):
            inline.append(Line("add", None, n + 1, b[n]))
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            left = (i + 1, a[i]) if i < i2 else (None, "")
            right = (j + 1, b[j]) if j < j2 else (None, "")
            kind = "change" if left[0] and right[0] else ("del" if left[0] else "add")
            side.append(Pair(kind, left[0], left[1], right[0], right[1]))
    return Diff(inline=inline, side=side, added=added, removed=removed)


def _equal(a: list[str], i1: int, i2: int, j1: int, *, first: bool, last: bool, inline: list, side: list) -> None:
    """An unchanged stretch: CONTEXT lines next to each change, the middle folded."""
    keep_head = 0 if first else CONTEXT
    keep_tail = 0 if last else CONTEXT
    count = i2 - i1
    if count <= keep_head + keep_tail + 1:
        shown = [range(count)]
        folded = 0
    else:
        shown = [range(keep_head), range(count - keep_tail, count)]
        folded = count - keep_head - keep_tail
    for part, lines in enumerate(shown):
        if part == 1 and folded:
            text = f"{folded} unchanged line{'s' if folded != 1 else ''}"
            inline.append(Line("skip", None, None, text))
            side.append(Pair("skip", None, text, None, ""))
        for k in lines:
            inline.append(Line("same", i1 + k + 1, j1 + k + 1, a[i1 + k]))
            side.append(Pair("same", i1 + k + 1, a[i1 + k], j1 + k + 1, a[i1 + k]))
