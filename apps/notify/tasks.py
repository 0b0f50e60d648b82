"""Thin tasks: beat ticks `notify.send_alerts`; each delivery is its own `notify.deliver` task."""

from __future__ import annotations

from celery import shared_task

from apps.notify import services
from apps.notify.events import Event

DELIVERY_EXPIRES = 3600.0  # an alert still queued after an hour is history, not news


@shared_task(name="notify.send_alerts", time_limit=60, soft_time_limit=50, ignore_result=True)
def send_alerts() -> int:
    planned = services.alerts_collect()
    for item in planned:
        deliver.apply_async(
            kwargs={"channel_id": item.channel_id, "event": item.event.as_dict()}, expires=DELIVERY_EXPIRES
        )
    return len(planned)


# One attempt per task run: a retry is a new task with a countdown (services.BACKOFF), never a
# sleeping worker, so a failing channel cannot delay the polling rounds sharing the worker.
@shared_task(name="notify.deliver", time_limit=30, soft_time_limit=20, ignore_result=True)
def deliver(channel_id: int, event: dict, attempt: int = 1) -> None:
    _, wait = services.delivery_attempt(channel_id=channel_id, event=Event.from_dict(event), attempt=attempt)
    if wait is not None:
        deliver.apply_async(
            kwargs={"channel_id": channel_id, "event": event, "attempt": attempt + 1},
            countdown=wait,
            expires=DELIVERY_EXPIRES,
        )
