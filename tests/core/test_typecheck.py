"""`make test` runs mypy (settings in pyproject.toml): a call into another app with an argument
of the wrong type must fail it. Here mypy checks two small callers of accounts' `can`, as
any app's views, panels or services call it: one passes a member, the other a username."""

import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# mypy's cache makes a second run take seconds instead of tens; one per checkout, so that
# several worktrees on one machine do not keep invalidating each other's.
CACHE = Path(tempfile.gettempdir()) / f"homeops-mypy-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]}"

RIGHT = """\
from django.contrib.auth.models import AnonymousUser

from apps.accounts.roles import can

can(AnonymousUser(), "chat")
"""
WRONG = """\
from apps.accounts.roles import can

can("alice", "chat")
"""


@pytest.mark.typecheck
def test_mypy_refuses_a_wrong_argument_type_across_apps(tmp_path: Path) -> None:
    right, wrong = tmp_path / "right_caller.py", tmp_path / "wrong_caller.py"
    right.write_text(RIGHT)
    wrong.write_text(WRONG)
    # From the checkout, as `make test` runs it: pyproject.toml's settings and plugin, and `apps` importable.
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(CACHE), str(right), str(wrong)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # By file name: from its cache, mypy may name the folder of an earlier run's identical file.
    errors = [Path(line).name for line in run.stdout.splitlines() if ": error:" in line]
    assert run.returncode == 1, run.stdout + run.stderr
    assert errors == [
        'wrong_caller.py:3: error: Argument 1 to "can" has incompatible type "str"; '
        'expected "User | AnonymousUser"  [arg-type]'
    ], run.stdout
