"""Celery app: Django settings under the CELERY_ namespace (the beat schedule is CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import os

from celery import Celery
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "homeops.settings")

app = Celery("homeops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class Scheduler(PersistentScheduler):
    """Stamps the heartbeat with the time beat sent it, so /healthz can tell beat's age
    apart from the worker's."""

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        if entry.task == "core.heartbeat":
            from datetime import UTC, datetime

            entry.kwargs = {"sent_at": datetime.now(UTC).isoformat()}
        return super().apply_async(entry, producer, advance, **kwargs)
