"""Handover fixtures: Alice owns the house, Charlie looks after it while she is away."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.handover import services
from apps.handover.models import Contact, Handover
from apps.runbooks.models import Audience, Revision, Runbook
from tests.notify.conftest import mailbox, make_channel, receiver  # noqa: F401 (fixtures for the summary)


def make_runbook(slug: str, title: str, audience: str = Audience.CARETAKER, body: str = "- [ ] Look") -> Runbook:
    runbook = Runbook.objects.create(slug=slug, title=title, audience=audience, body=body, revision=1)
    Revision.objects.create(runbook=runbook, number=1, title=title, body=body)
    return runbook


@pytest.fixture
def make_handover(db):
    def make(*, starts=None, ends=None, caretakers=(), runbooks=(), if_then=(), **fields) -> Handover:
        now = timezone.now()
        handover = Handover(
            title=fields.pop("title", "Christmas"),
            starts=starts or now - timedelta(hours=1),
            ends=ends or now + timedelta(days=3),
            **fields,
        )
        return services.handover_save(
            handover, caretakers=list(caretakers), runbooks=list(runbooks), if_then=list(if_then)
        )

    return make


@pytest.fixture
def contacts(db):
    return [
        services.contact_save(Contact(name="Fibernet", role="ISP", phone="+49 30 555-0100", order=1)),
        services.contact_save(
            Contact(name="Mia", role="neighbour with a key", phone="0171 2345678", email="mia@example.com", order=2)
        ),
    ]
