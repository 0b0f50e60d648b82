from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.status import rollups, selectors
from apps.status.models import Kind, Result, Rollup, Service, State

pytestmark = pytest.mark.django_db


def test_rollups_summarise_complete_hours_and_pruning_keeps_history(settings):
    settings.STATUS_RAW_HOURS = 48
    service = Service.objects.create(name="web", label="Web", kind=Kind.HTTP, check_config={"url": "http://x"})
    now = timezone.now().replace(minute=30, second=0, microsecond=0)
    # 60 hours of a result a minute: 1 in 10 down, latency 10..100 ms.
    results = [
        Result(
            service=service,
            at=now - timedelta(minutes=m),
            outcome=State.DOWN if m % 10 == 0 else State.UP,
            latency_ms=10 + (m % 10) * 10,
        )
        for m in range(60 * 60)
    ]
    Result.objects.bulk_create(results)
    rollups.rollup_and_prune(now=now)
    rollups.rollup_and_prune(now=now)  # twice: idempotent
    hours = Rollup.objects.filter(service=service, period=Rollup.Period.HOUR)
    assert hours.count() == 48  # the complete hours still held raw
    full = hours.order_by("start")[5]
    assert (full.up, full.down) == (54, 6)
    assert full.p50_ms == 60 and full.max_ms == 100
    assert Result.objects.filter(at__lt=now - timedelta(hours=48)).count() == 0
    # Uptime reads rollups before the raw window and raw results inside it, never both.
    uptime = selectors.uptime([service.pk], since=now - timedelta(days=7), now=now)[service.pk]
    assert uptime == pytest.approx(0.9, abs=0.002)


def test_uptime_is_none_without_checks():
    service = Service.objects.create(name="web", label="Web", kind=Kind.HTTP, check_config={"url": "http://x"})
    assert selectors.uptime([service.pk], since=timezone.now() - timedelta(days=1), now=timezone.now()) == {}
