"""A configuration file with the wrong shape where a value belongs (a list or a mapping for a
name, a number for a list) is refused in words at its path, never with a crash: every key of
every section of the example household, tried with each wrong shape."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from apps.core import config

EXAMPLE = yaml.safe_load((Path(config.__file__).parent / "example" / "household.yaml").read_text())
SHAPES = [["a", "b"], {"a": 1}, 12345, True]
CASES = [
    (section, key)
    for section, items in EXAMPLE.items()
    if isinstance(items, list) and items and isinstance(items[0], dict)
    for key in items[0]
]
# One level down: a route's targets, a check's settings.
NESTED = [
    (section, key, inner)
    for section, items in EXAMPLE.items()
    if isinstance(items, list)
    for item in items
    if isinstance(item, dict)
    for key, value in item.items()
    if isinstance(value, dict) or (isinstance(value, list) and value and isinstance(value[0], dict))
    for inner in (value[0] if isinstance(value, list) else value)
]
NESTED = list(dict.fromkeys(NESTED))


@pytest.mark.django_db
@pytest.mark.parametrize(("section", "key"), CASES, ids=[f"{s}.{k}" for s, k in CASES])
def test_a_wrong_shape_for_any_key_is_refused_in_words(section, key):
    for shape in SHAPES:
        item = {**EXAMPLE[section][0], key: shape}
        result = config.import_text(yaml.safe_dump({section: [item]}), dry_run=True)
        # Either refused at the path of what is wrong, or (true is a number, a name can be
        # the number 12345) taken as the field takes it; never an exception.
        assert all(error.path.startswith(f"{section}[0]") for error in result.errors), result.errors


@pytest.mark.django_db
@pytest.mark.parametrize(("section", "key", "inner"), NESTED, ids=[f"{s}.{k}.{i}" for s, k, i in NESTED])
def test_a_wrong_shape_one_level_down_is_refused_in_words(section, key, inner):
    item = next(i for i in EXAMPLE[section] if isinstance(i, dict) and key in i)
    for shape in SHAPES:
        value = item[key]
        changed = [{**value[0], inner: shape}, *value[1:]] if isinstance(value, list) else {**value, inner: shape}
        result = config.import_text(yaml.safe_dump({section: [{**item, key: changed}]}), dry_run=True)
        assert all(error.path.startswith(f"{section}[0]") for error in result.errors), result.errors
