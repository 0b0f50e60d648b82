"""Thin tasks: beat sends `handover.send_summaries` every HANDOVER_SUMMARY_SECONDS and
`handover.prune_access_log` hourly."""

from __future__ import annotations

from celery import shared_task

from apps.handover import services
from apps.notify.tasks import DELIVERY_EXPIRES, deliver


@shared_task(name="handover.send_summaries", time_limit=60, soft_time_limit=50, ignore_result=True)
def send_summaries() -> int:
    """Each ended handover's summary, once: emailed to the owners here, and one notify.deliver
    task per alert channel (notify's retries and delivery log)."""
    planned = services.summaries_send()
    for channel_id, event in planned:
        deliver.apply_async(kwargs={"channel_id": channel_id, "event": event.as_dict()}, expires=DELIVERY_EXPIRES)
    return len(planned)


@shared_task(name="handover.prune_access_log", time_limit=120, soft_time_limit=100, ignore_result=True)
def prune_access_log() -> int:
    return services.access_prune()
