"""Runbook tests: Alice owns the house and writes the runbooks; Bob is family; Charlie is
the friend looking after it (caretaker)."""

from __future__ import annotations

import pytest

from apps.runbooks import services
from apps.runbooks.models import Audience, Runbook


def make_runbook(slug: str = "restart-ollama", *, author=None, audience: str = Audience.HOUSEHOLD, **fields) -> Runbook:
    fields.setdefault("title", slug.replace("-", " ").capitalize())
    fields.setdefault("body", "- [ ] Open the Studio\n- [ ] Restart Ollama\n")
    return services.runbook_save(Runbook(slug=slug, audience=audience, **fields), author=author, note="first")


@pytest.fixture
def runbook(alice):
    return make_runbook(author=alice)
