"""The private record of every request, and the daily usage rollups the pages read."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, transaction
from django.utils import timezone

from apps.gateway.models import ApiKey, AuditEntry, Endpoint, UsageDay

log = logging.getLogger(__name__)
# "Last used" is for people ("2 minutes ago"): one UPDATE a minute per key and process is enough.
LAST_USED_EVERY = 60.0
_last_used: dict[int, float] = {}


def _storable(text: str) -> str:
    """A caller's alias or a backend's words may hold a lone surrogate ("\\ud800" in JSON),
    which neither Postgres nor SQLite accepts: it would lose the row."""
    return text.encode("utf-8", "replace").decode()


def entry_values(record) -> dict:
    call = record.call
    return dict(
        created=record.created,
        member_id=call.who.member_id,
        api_key_id=call.who.api_key_id,
        client_ip=call.client_ip,
        endpoint=call.endpoint,
        alias=_storable(record.alias),
        backend=record.backend,
        model=_storable(record.model[:200]),
        fallback=record.fallback,
        status=record.status,
        prompt_tokens=record.prompt_tokens,
        completion_tokens=record.completion_tokens,
        ttft_ms=record.ttft_ms,
        total_ms=_elapsed_ms(record),
        error=_storable(record.error[:500]),
        content=record.content,
    )


def _elapsed_ms(record) -> float:
    return (time.perf_counter() - record.started) * 1000


def write_many(batch: list[dict]) -> None:
    from apps.gateway import policy

    try:
        with transaction.atomic():
            AuditEntry.objects.bulk_create(AuditEntry(**values) for values in batch)
    except (DatabaseError, ValueError):  # one odd row must not lose the others: budgets count them
        for values in batch:
            _write_one(values)
    for values in batch:
        key_id = values["api_key_id"]
        if key_id and values["created"].timestamp() - _last_used.get(key_id, 0) >= LAST_USED_EVERY:
            _last_used[key_id] = values["created"].timestamp()
            ApiKey.objects.filter(pk=key_id).update(last_used_at=values["created"])
        if values["member_id"]:
            policy.count_tokens(
                values["member_id"], values["prompt_tokens"] + values["completion_tokens"], values["created"]
            )


def _write_one(values: dict) -> None:
    """One row, made to fit: a member or key deleted meanwhile (IntegrityError) loses the link;
    content the database refuses (a lone surrogate in JSON, DataError on Postgres) is left out."""
    unlinked = {**values, "member_id": None, "api_key_id": None}
    for attempt in (values, {**values, "content": None}, unlinked, {**unlinked, "content": None}):
        try:
            with transaction.atomic():
                AuditEntry.objects.create(**attempt)
            return
        except (DatabaseError, ValueError):
            continue
    log.error("gateway: an audit row (%s, status %s) could not be written", values["endpoint"], values["status"])


class Writer:
    """One thread per process writes audit rows in batches. A row per request written from
    the event loop's executor cost ~2 ms of CPU each and held the GIL while streams waited
    for their first token (bench/README.md); a batch of 20 costs about as much as one.
    Rows wait at most BATCH_WAIT seconds; a stopping server flushes (homeops/asgi.py)."""

    BATCH_WAIT = 0.2

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[dict | threading.Event] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def put(self, values: dict) -> None:
        self._ensure_thread()
        self._queue.put(values)

    def flush(self, timeout: float = 10.0) -> None:
        """Return once everything put so far is written."""
        done = threading.Event()
        self._ensure_thread()
        self._queue.put(done)
        done.wait(timeout)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="gateway-audit", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            batch, waiters = [], []
            deadline = time.monotonic() + self.BATCH_WAIT
            while True:
                if isinstance(item, threading.Event):
                    waiters.append(item)
                    break  # a flush: write now
                batch.append(item)
                if len(batch) >= 500:
                    break
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            try:
                if batch:
                    write_many(batch)
            except Exception:  # the log must never take the gateway down; say so loudly
                log.exception("gateway: %d audit rows could not be written", len(batch))
            finally:
                close_old_connections()
                for waiter in waiters:
                    waiter.set()


writer = Writer()


# --- Daily rollups -------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()))


def usage_rows(day: date) -> list[UsageDay]:
    """One day's totals per member and alias, computed from the audit log."""
    start, end = _day_bounds(day)
    groups: dict[tuple, dict] = defaultdict(lambda: {"n": 0, "err": 0, "fb": 0, "pt": 0, "ct": 0, "ttft": []})
    rows = AuditEntry.objects.filter(created__gte=start, created__lt=end).exclude(endpoint=Endpoint.SETTINGS)
    for member_id, alias, status, fallback, pt, ct, ttft in rows.values_list(
        "member_id", "alias", "status", "fallback", "prompt_tokens", "completion_tokens", "ttft_ms"
    ).iterator(chunk_size=5000):
        group = groups[(member_id, alias)]
        group["n"] += 1
        group["err"] += status >= 400
        group["fb"] += fallback
        group["pt"] += pt
        group["ct"] += ct
        if ttft is not None and status == 200:
            group["ttft"].append(ttft)
    return [
        UsageDay(
            day=day,
            member_id=member_id,
            alias=alias,
            requests=g["n"],
            errors=g["err"],
            fallbacks=g["fb"],
            prompt_tokens=g["pt"],
            completion_tokens=g["ct"],
            ttft_p50_ms=_percentile(g["ttft"], 0.5),
            ttft_p95_ms=_percentile(g["ttft"], 0.95),
        )
        for (member_id, alias), g in groups.items()
    ]


def rollup_day(day: date) -> int:
    """Idempotent: the day's rows are replaced, so a retried run is harmless."""
    rows = usage_rows(day)
    with transaction.atomic():
        UsageDay.objects.filter(day=day).delete()
        UsageDay.objects.bulk_create(rows)
    return len(rows)


def rollup_and_prune(*, now: datetime | None = None) -> dict:
    """Nightly: roll up the last few finished days, drop audit rows past retention."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    written = sum(rollup_day(today - timedelta(days=back)) for back in (1, 2, 3))
    cutoff = now - timedelta(days=settings.GATEWAY_AUDIT_DAYS)
    pruned, _ = AuditEntry.objects.filter(created__lt=cutoff).delete()
    return {"usage_rows": written, "pruned": pruned}
