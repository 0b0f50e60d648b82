"""Thin tasks: beat runs `maintenance.send_reminders` every 15 minutes; each channel's message
is its own `notify.deliver` task, as for status alerts."""

from __future__ import annotations

from celery import shared_task

from apps.maintenance import services
from apps.notify.tasks import DELIVERY_EXPIRES, deliver


@shared_task(name="maintenance.send_reminders", time_limit=120, soft_time_limit=100, ignore_result=True)
def send_reminders() -> int:
    planned = services.reminders_send()
    for item in planned:
        deliver.apply_async(
            kwargs={"channel_id": item.channel_id, "event": item.event.as_dict()}, expires=DELIVERY_EXPIRES
        )
    return len(planned)
