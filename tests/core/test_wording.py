"""The household's words (apps/core/wording.py), shared by status, alerts and the gateway."""

from datetime import timedelta

import pytest

from apps.core.wording import and_list, duration, plural


@pytest.mark.parametrize(
    ("items", "words"),
    [([], ""), (["the NAS"], "the NAS"), (["Forgejo", "n8n"], "Forgejo and n8n"), (["a", "b", "c"], "a, b and c")],
)
def test_and_list_joins_the_way_people_write(items, words):
    assert and_list(items) == words


@pytest.mark.parametrize(("count", "words"), [(0, "0 models"), (1, "1 model"), (2, "2 models")])
def test_plural_counts_words(count, words):
    assert plural(count, "model") == words


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(seconds=20), "less than a minute"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=61), "1 hour 1 minute"),
        (timedelta(hours=2), "2 hours"),
        (timedelta(hours=47, minutes=59), "47 hours 59 minutes"),
        (timedelta(days=3, hours=1), "3 days"),
    ],
)
def test_duration_in_words(delta, words):
    assert duration(delta) == words
