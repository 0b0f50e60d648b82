"""The ledger's Celery tasks: thin, each calls one function (beat: homeops/settings.py)."""

from __future__ import annotations

from celery import shared_task

from apps.ledger import creep, tokens
from apps.notify.tasks import DELIVERY_EXPIRES, deliver


# At most tokens.CATCH_UP_DAYS aggregate queries over the audit log, a few writes each.
@shared_task(name="ledger.count_tokens", time_limit=300, soft_time_limit=280, ignore_result=True)
def count_tokens() -> int:
    return len(tokens.count_since_last())


# Cost creep (creep.py): after every change, and monthly from beat.
@shared_task(name="ledger.check_creep", time_limit=120, soft_time_limit=100, ignore_result=True)
def check_creep() -> int:
    planned = creep.check_and_send()
    for item in planned:
        deliver.apply_async(
            kwargs={"channel_id": item.channel_id, "event": item.event.as_dict()}, expires=DELIVERY_EXPIRES
        )
    return len(planned)
