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


# Three attempts of at most 10 s each plus 35 s of backoff (services.BACKOFF) fit the limit.
@shared_task(name="notify.deliver", time_limit=120, soft_time_limit=100, ignore_result=True)
def deliver(channel_id: int, event: dict) -> None:
    services.delivery_send(channel_id=channel_id, event=Event.from_dict(event))
