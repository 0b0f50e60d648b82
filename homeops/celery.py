"""Celery app: Django settings under the CELERY_ namespace (the beat schedule is CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging
import os

from celery import Celery, signals
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "homeops.settings")

app = Celery("homeops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def log_through_settings(loglevel: int | None = None, **kwargs) -> None:
    """Worker and beat log through settings.LOGGING, whose handler removes secrets
    (homeops/redact.py), instead of the root handler Celery would put in its place. A
    receiver here is how Celery is told to leave logging alone; --loglevel still sets the level."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


class Scheduler(PersistentScheduler):
    """Stamps the heartbeat with the time beat sent it, so /healthz can tell beat's age
    apart from the worker's."""

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        if entry.task == "core.heartbeat":
            from datetime import UTC, datetime

            entry.kwargs = {"sent_at": datetime.now(UTC).isoformat()}
        return super().apply_async(entry, producer, advance, **kwargs)
