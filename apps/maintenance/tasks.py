"""Thin tasks: beat runs `maintenance.send_reminders` every 15 minutes; each channel's message
is its own `notify.deliver` task, as for status alerts. A model-update trial runs as
`maintenance.trial_run`."""

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


# --- Model-update trials ------------------------------------------------------------------------


# Bounded: every answer has its own limit (trials_run.ANSWER_SECONDS, 180 s) and a set at most
# trials.PROMPTS_PER_SET prompts, asked on two models; the hard limit is a backstop above that.
@shared_task(name="maintenance.trial_run", time_limit=4 * 3600, soft_time_limit=4 * 3600 - 60, ignore_result=True)
def trial_run_task(trial_id: int) -> None:
    from apps.maintenance import trials

    trials.trial_run(trial_id)
