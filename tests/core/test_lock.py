"""The lock files say exactly what `make run` and `make test` install: every package pinned
with hashes, inside the ranges of requirements*.txt, the dev lock agreeing with the runtime
lock. A range edited without `make lock` fails here, not on someone's NAS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCKS = {"requirements.txt": "requirements.lock", "requirements-dev.txt": "requirements-dev.lock"}


def ranges(name: str) -> list[Requirement]:
    found = []
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += ranges(line[3:].strip())
        elif line:
            found.append(Requirement(line))
    return found


def pins(name: str) -> dict[str, tuple[str, Marker | None, int]]:
    """name -> (version, marker, number of hashes) from a lock file."""
    text = (ROOT / name).read_text().replace("\\\n", " ")
    found = {}
    for line in text.splitlines():
        if not line or line.startswith((" ", "#")):
            continue
        requirement = Requirement(line.split(" --hash", 1)[0])
        (spec,) = requirement.specifier
        hashes = len(re.findall(r"--hash=sha256:", line))
        found[canonicalize_name(requirement.name)] = (spec.version, requirement.marker, hashes)
    return found


@pytest.mark.parametrize("source", LOCKS)
def test_every_range_is_locked_inside_itself_with_hashes(source):
    locked = pins(LOCKS[source])
    for version, _marker, hashes in locked.values():
        assert hashes, f"{LOCKS[source]}: a pin without a hash"
        assert re.fullmatch(r"[\w.+!-]+", version)
    for requirement in ranges(source):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is in {source} but not in {LOCKS[source]}: run `make lock`"
        version = locked[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{requirement.name}=={version} in {LOCKS[source]} is outside {requirement.specifier}: run `make lock`"
        )


def test_the_dev_lock_installs_the_runtime_lock_unchanged():
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert {name: pin[:2] for name, pin in runtime.items()} == {name: dev[name][:2] for name in runtime}
