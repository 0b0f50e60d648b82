"""Thin Celery tasks of the maintenance app: load ids, call one service."""

from __future__ import annotations

from celery import shared_task

# --- Model-update trials ------------------------------------------------------------------------


# Bounded: every answer has its own limit (trials_run.ANSWER_SECONDS, 180 s) and a set at most
# trials.PROMPTS_PER_SET prompts, asked on two models; the hard limit is a backstop above that.
@shared_task(name="maintenance.trial_run", time_limit=4 * 3600, soft_time_limit=4 * 3600 - 60, ignore_result=True)
def trial_run_task(trial_id: int) -> None:
    from apps.maintenance import trials

    trials.trial_run(trial_id)
