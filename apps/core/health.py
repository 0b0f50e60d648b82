"""The facts /healthz reports. Nothing secret: no URLs, hosts or credentials.

/healthz answers within DEADLINE_SECONDS whatever hangs: the database and the broker are
probed at the same time, each on a thread of its own that the request stops waiting for at the
deadline. The database probe closes its connection (back to the pool) as soon as it is done, so
a broker that does not answer holds no database connection: ten /healthz waiting on a frozen
Redis once took all eight pooled connections and every page answered 500."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone
from kombu import Connection
from redis.exceptions import TimeoutError as RedisTimeoutError

from apps.core.models import Heartbeat

DEADLINE_SECONDS = 2.0  # /healthz answers within 3 s; monitors commonly give up after 5 or 10
NOT_ANSWERING = "broker not answering"


def heartbeat_record(*, component: str, at: datetime | None = None) -> None:
    Heartbeat.objects.update_or_create(component=component, defaults={"seen_at": at or timezone.now()})


def database_state() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "engine": connection.vendor}
    except Exception as exc:  # any driver error means "not working"
        return {"ok": False, "engine": connection.vendor, "error": type(exc).__name__}


def _broker_kind() -> str:
    return "redis" if settings.CELERY_BROKER_URL.startswith("redis") else "embedded"


def broker_state(timeout: float = 2.0) -> dict:
    kind = _broker_kind()
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}))
    if kind == "redis":
        # Without a socket timeout a frozen Redis keeps this waiting for ever (kombu's default).
        options.update(socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        # The embedded broker names its own transport (homeops/broker.py), as Celery does.
        transport = getattr(settings, "CELERY_BROKER_TRANSPORT", None) if kind == "embedded" else None
        with Connection(
            settings.CELERY_BROKER_URL, transport=transport, transport_options=options, connect_timeout=timeout
        ) as conn:
            # kombu takes seconds as a float and every channel has queue_declare; its stub says int and StdChannel.
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)  # type: ignore[arg-type]
            conn.default_channel.queue_declare(queue="celery", passive=False)  # type: ignore[attr-defined]
        return {"ok": True, "kind": kind}
    except Exception as exc:
        if _is_timeout(exc):
            return {"ok": False, "kind": kind, "error": NOT_ANSWERING}
        return {"ok": False, "kind": kind, "error": f"{type(exc).__name__}: cannot reach the broker"}


def _is_timeout(exc: BaseException | None) -> bool:
    """kombu wraps redis-py's TimeoutError, which wraps the socket's: follow the causes."""
    while exc is not None:
        if isinstance(exc, (TimeoutError, RedisTimeoutError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def component_state(component: str, db_ok: bool) -> dict:
    if not db_ok:
        return {"state": "unknown"}
    beat = Heartbeat.objects.filter(component=component).first()
    if beat is None:
        return {"state": "never seen", "age_seconds": None}
    age = max(0, round((timezone.now() - beat.seen_at).total_seconds()))
    state = "ok" if age <= settings.HEARTBEAT_STALE_SECONDS else "late"
    return {"state": state, "age_seconds": age, "last_seen": beat.seen_at.isoformat(timespec="seconds")}


def _database_report() -> dict:
    """The database and the heartbeats it holds, on the caller's thread's own connection,
    closed before returning: the probe threads are not request threads, which Django would
    close for us."""
    try:
        db = database_state()
        return {
            "database": db,
            "worker": component_state("worker", db["ok"]),
            "beat": component_state("beat", db["ok"]),
        }
    finally:
        connections.close_all()


class _Probe:
    """Runs `probe` on a daemon thread; result() gives up at the deadline. A probe left behind
    ends on its own socket timeout (broker) or the pool's (database)."""

    def __init__(self, probe: Callable[[], dict]) -> None:
        self._result: dict | None = None
        self._thread = threading.Thread(target=self._run, args=(probe,), daemon=True)
        self._thread.start()

    def _run(self, probe: Callable[[], dict]) -> None:
        self._result = probe()

    def result(self, deadline: float) -> dict | None:
        self._thread.join(max(0.0, deadline - time.monotonic()))
        return self._result


def health() -> tuple[dict, bool]:
    """The report and whether the portal can serve (database and broker answer)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    database = _Probe(_database_report)
    broker_probe = _Probe(lambda: broker_state(timeout=DEADLINE_SECONDS - 0.5))
    report = database.result(deadline) or {
        "database": {"ok": False, "engine": connection.vendor, "error": "database not answering"},
        "worker": {"state": "unknown"},
        "beat": {"state": "unknown"},
    }
    broker = broker_probe.result(deadline) or {"ok": False, "kind": _broker_kind(), "error": NOT_ANSWERING}
    db = report["database"]
    report = {"database": db, "broker": broker, "worker": report["worker"], "beat": report["beat"]}
    healthy = db["ok"] and broker["ok"]
    report["status"] = (
        "ok" if healthy else "failing: " + ", ".join(name for name in ("database", "broker") if not report[name]["ok"])
    )
    return report, healthy
