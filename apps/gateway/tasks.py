"""Thin tasks: model discovery in the background, usage rollups, audit pruning."""

from __future__ import annotations

from celery import shared_task

from apps.gateway import audit, services
from apps.gateway.models import Backend


@shared_task(name="gateway.refresh_models", time_limit=120, soft_time_limit=110, ignore_result=True)
def refresh_models() -> None:
    for backend in Backend.objects.all():
        services.backend_refresh_models(backend)


@shared_task(name="gateway.rollup_usage", time_limit=600, soft_time_limit=580, ignore_result=True)
def rollup_usage() -> None:
    audit.rollup_and_prune()
