"""The line diff behind the history and the edit conflict: what was removed and added, both
line numbers, changed lines facing each other side by side, long unchanged stretches folded."""

from __future__ import annotations

from apps.runbooks import diffs


def test_removed_and_added_lines_carry_both_numbers():
    diff = diffs.compare("a\nb\nc\n", "a\nB\nc\nd\n")
    assert [(line.kind, line.old, line.new, line.text) for line in diff.inline] == [
        ("same", 1, 1, "a"),
        ("del", 2, None, "b"),
        ("add", None, 2, "B"),
        ("same", 3, 3, "c"),
        ("add", None, 4, "d"),
    ]
    assert (diff.removed, diff.added, diff.same) == (1, 2, False)


def test_side_by_side_faces_a_changed_line_with_its_replacement():
    diff = diffs.compare("a\nb\nc\n", "a\nB\nB2\nc\n")
    assert [(p.kind, p.old, p.old_text, p.new, p.new_text) for p in diff.side] == [
        ("same", 1, "a", 1, "a"),
        ("change", 2, "b", 2, "B"),
        ("add", None, "", 3, "B2"),
        ("same", 3, "c", 4, "c"),
    ]


def test_long_unchanged_stretches_are_folded_around_the_change():
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 10", "line ten")
    kinds = [line.kind for line in diffs.compare(old, new).inline]
    assert kinds == ["skip", "same", "same", "same", "del", "add", "same", "same", "same", "skip"]
    assert diffs.compare(old, new).inline[0].text == "6 unchanged lines"


def test_the_same_text_is_one_folded_row():
    diff = diffs.compare("a\nb\nc\nd\n", "a\nb\nc\nd\n")
    assert diff.same and [line.kind for line in diff.inline] == ["skip"]


def test_the_diff_holds_text_not_markup():
    diff = diffs.compare("", "<script>alert(1)</script>")
    assert diff.inline[0].text == "<script>alert(1)</script>"  # the templates escape it (test_xss.py)


def test_side_by_side_marks_the_words_that_differ_between_facing_lines():
    pair = diffs.compare("- [ ] Restart Ollama\n", "- [ ] Restart Ollama from the menu bar\n").side[0]
    left, right = pair.parts
    assert left == [(False, "- [ ] Restart Ollama")]
    assert right == [(False, "- [ ] Restart Ollama"), (True, " from the menu bar")]


def test_marked_words_are_escaped_on_the_page(client, alice):
    from apps.runbooks import services
    from tests.conftest import signed_in
    from tests.runbooks.conftest import make_runbook

    runbook = make_runbook("x", author=alice, body="- [ ] Restart")
    runbook.body = "- [ ] Restart <script>x</script>"
    services.runbook_save(runbook, author=alice)
    html = signed_in(client, alice).get("/runbooks/x/history/?a=1&b=2&view=side").content.decode()
    assert "<mark> &lt;script&gt;x&lt;/script&gt;</mark>" in html
