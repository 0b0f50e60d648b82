"""The facts /healthz reports. Nothing secret: no URLs, hosts or credentials."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import Connection

from apps.core.models import Heartbeat


def heartbeat_record(*, component: str, at: datetime | None = None) -> None:
    Heartbeat.objects.update_or_create(component=component, defaults={"seen_at": at or timezone.now()})


def database_state() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "engine": connection.vendor}
    except Exception as exc:  # any driver error means "not working"
        return {"ok": False, "engine": connection.vendor, "error": type(exc).__name__}


def broker_state(timeout: float = 2.0) -> dict:
    kind = "redis" if settings.CELERY_BROKER_URL.startswith("redis") else "embedded"
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    try:
        with Connection(settings.CELERY_BROKER_URL, transport_options=options, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
            conn.default_channel.queue_declare(queue="celery", passive=False)
        return {"ok": True, "kind": kind}
    except Exception as exc:
        return {"ok": False, "kind": kind, "error": f"{type(exc).__name__}: cannot reach the broker"}


def component_state(component: str, db_ok: bool) -> dict:
    if not db_ok:
        return {"state": "unknown"}
    beat = Heartbeat.objects.filter(component=component).first()
    if beat is None:
        return {"state": "never seen", "age_seconds": None}
    age = max(0, round((timezone.now() - beat.seen_at).total_seconds()))
    state = "ok" if age <= settings.HEARTBEAT_STALE_SECONDS else "late"
    return {"state": state, "age_seconds": age, "last_seen": beat.seen_at.isoformat(timespec="seconds")}


def health() -> tuple[dict, bool]:
    """The report and whether the portal can serve (database and broker answer)."""
    db = database_state()
    broker = broker_state()
    report = {
        "database": db,
        "broker": broker,
        "worker": component_state("worker", db["ok"]),
        "beat": component_state("beat", db["ok"]),
    }
    healthy = db["ok"] and broker["ok"]
    report["status"] = (
        "ok" if healthy else "failing: " + ", ".join(name for name in ("database", "broker") if not report[name]["ok"])
    )
    return report, healthy
