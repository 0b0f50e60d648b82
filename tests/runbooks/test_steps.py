"""A runbook's steps are its Markdown task-list items, outside code fences, bounded."""

from __future__ import annotations

from apps.runbooks import steps
from apps.runbooks.models import BODY_LIMIT

BODY = """\
# Restart Ollama

Only when the chat says the assistant is offline.

- [ ] Check that the **Studio** is on
* [x] Open a terminal
  and sign in as `admin`
1. [ ] Run the restart
   ```sh
   launchctl kickstart -k gui/501/com.ollama
   ```
2) [X] Wait a minute

```markdown
- [ ] not a step: inside a fence
```

~~~
* [ ] nor this
~~~

- a plain item
- [] not a task either
-  [ ]   Spaces are fine
"""


def test_task_list_items_are_the_steps_in_order():
    found = steps.parse(BODY)
    assert [s.text for s in found] == [
        "Check that the **Studio** is on",
        "Open a terminal",
        "Run the restart",
        "Wait a minute",
        "Spaces are fine",
    ]
    assert [s.index for s in found] == [0, 1, 2, 3, 4]
    assert [s.checked for s in found] == [False, True, False, True, False]


def test_items_inside_code_fences_are_not_steps():
    assert [s.text for s in steps.parse("```\n- [ ] hidden\n```\n- [ ] shown\n")] == ["shown"]
    # An unclosed fence runs to the end of the body; a longer closing fence closes it.
    assert [s.text for s in steps.parse("- [ ] one\n```\n- [ ] two\n")] == ["one"]
    assert [s.text for s in steps.parse("```\n- [ ] no\n`````\n- [ ] yes\n")] == ["yes"]


def test_a_step_keeps_its_indented_lines_as_its_details():
    by_text = {s.step.text: s.step for s in steps.segments(BODY) if s.step}
    assert steps.detail_markdown(by_text["Open a terminal"]) == "and sign in as `admin`"
    assert "launchctl kickstart" in steps.detail_markdown(by_text["Run the restart"])
    texts = [s.markdown for s in steps.segments(BODY) if s.step is None]
    assert texts[0].startswith("# Restart Ollama") and "a plain item" in texts[-1]


def test_the_number_of_steps_is_capped():
    body = "".join(f"- [ ] step {n}\n" for n in range(1000))
    assert len(body) < BODY_LIMIT
    found = steps.parse(body)
    assert len(found) == steps.MAX_STEPS
    assert found[-1].text == f"step {steps.MAX_STEPS - 1}"


def test_a_huge_body_is_cut_at_the_limit_and_a_long_step_is_clipped():
    long_step = "- [ ] " + "x" * 5000 + "\n"
    assert len(steps.parse(long_step)[0].text) == steps.TEXT_LIMIT
    body = "a" * (BODY_LIMIT - 3) + "\n- [ ] beyond the limit\n"
    assert steps.parse(body) == []


def test_windows_line_ends_and_an_empty_body():
    assert [s.text for s in steps.parse("- [ ] one\r\n- [ ] two\r\n")] == ["one", "two"]
    assert steps.parse("") == [] and steps.segments("") == []
