"""Thin tasks: beat ticks `status.tick`, which starts one round per probe queue."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from apps.status import engine, rollups
from apps.status.models import Service


@shared_task(name="status.tick", time_limit=30, soft_time_limit=20, ignore_result=True)
def tick() -> None:
    polled = Service.objects.filter(enabled=True, kind__in=engine.polled_kinds())
    queues = set(polled.values_list("queue", flat=True))
    queues.add("celery")  # heartbeats are judged on the default queue's round
    for queue in sorted(queues):
        run_due_checks.apply_async(kwargs={"queue": queue}, queue=queue, expires=settings.STATUS_TICK_SECONDS * 2)


@shared_task(name="status.run_due_checks", time_limit=120, soft_time_limit=110, ignore_result=True)
def run_due_checks(queue: str = "celery") -> int:
    return engine.run_round(queue=queue)


@shared_task(name="status.rollup_and_prune", time_limit=600, soft_time_limit=580, ignore_result=True)
def rollup_and_prune() -> None:
    rollups.rollup_and_prune()
