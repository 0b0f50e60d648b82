"""The morning count through a real Celery worker: the task is registered under its beat
name and writes yesterday's cloud spend from the audit log the web process wrote (reruns
and the catch-up are in test_tokens.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.gateway.models import AuditEntry, Backend, Endpoint
from apps.ledger.models import UsageEntry
from tests.fixtures.celery_worker import worker_and_beat
from tests.notify.test_secrets_in_logs import send_to_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_counts_yesterdays_tokens(alice):
    Backend.objects.create(
        name="cloud",
        base_url="https://api.openai.com/v1",
        price_input_per_m=Decimal("0.15"),
        price_output_per_m=Decimal("0.60"),
    )
    yesterday = timezone.localdate() - timedelta(days=1)
    AuditEntry.objects.create(
        created=timezone.make_aware(datetime.combine(yesterday, datetime.min.time())) + timedelta(hours=12),
        member=alice,
        endpoint=Endpoint.CHAT,
        alias="assistant",
        backend="cloud",
        model="gpt-4o-mini",
        status=200,
        prompt_tokens=2_000_000,
        completion_tokens=1_000_000,
    )
    with worker_and_beat():
        send_to_worker("ledger.count_tokens")
        wait_for(lambda: UsageEntry.objects.filter(day=yesterday).exists(), seconds=60)

    entry = UsageEntry.objects.get()
    assert (entry.day, entry.amount, entry.prompt_tokens, entry.completion_tokens) == (
        yesterday,
        Decimal("0.9000"),
        2_000_000,
        1_000_000,
    )
