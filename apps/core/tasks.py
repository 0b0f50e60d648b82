from __future__ import annotations

from celery import shared_task
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.core.health import heartbeat_record


@shared_task(name="core.heartbeat", time_limit=30, soft_time_limit=20, ignore_result=True)
def heartbeat(sent_at: str | None = None) -> None:
    """Beat stamps `sent_at` (homeops.celery.Scheduler); the worker records both."""
    heartbeat_record(component="worker")
    if sent_at:
        heartbeat_record(component="beat", at=parse_datetime(sent_at) or timezone.now())
