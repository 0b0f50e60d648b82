"""Database bytes per service-year after rollups (Postgres).

Does not insert a year of raw results (26M rows for 50 services at 60 s). It inserts what the
retention policy keeps after a year, in the order the engine writes it (time-major: one
round of all services after another), for 50 services checked every 60 s:
  * STATUS_RAW_HOURS (48) of raw results: 2,880 per service;
  * STATUS_HOURLY_DAYS (400) days of hourly rollups: 9,600 per service (the cap; a service
    exactly one year old has 8,760);
  * 365 daily rollups per service (kept forever: +365 a year);
  * FLIPS_PER_YEAR flips per service (an outage a fortnight, down and back up, plus a few
    degraded spells), all processed by the notifier.
Then VACUUM ANALYZE and pg_total_relation_size / pg_relation_size / pg_indexes_size of
status_result, status_rollup and status_flip, divided by 50.

Then it runs the real retention code for SIM_HOURS simulated hours (each hour: 60 rounds of
raw results, then rollups.rollup_and_prune(now=...)), followed by a plain VACUUM as
autovacuum would, and measures again: the steady-state sizes with churn (dead space reused,
not returned).

Target: < 250 kB per service-year.
Usage: .venv/bin/python bench/storage.py [--sim-hours 24]
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Meter, machine, reset_status_tables, setup_django, tree_state  # noqa: E402

SERVICES = 50
INTERVAL = 60
HOURLY_DAYS = 400
DAILY_DAYS = 365
FLIPS_PER_YEAR = 60
TARGET_BYTES = 250 * 1000
END = datetime(2026, 11, 27, tzinfo=UTC)
TABLES = ["status_result", "status_rollup", "status_flip"]
rng = random.Random(42)


def latency() -> float:
    return round(min(5000.0, rng.lognormvariate(3.0, 0.8)), 1)  # median ~20 ms, long tail


def result_rows(ids: list[int], start: datetime, end: datetime):
    at = start
    while at < end:
        for sid in ids:
            if rng.random() < 0.003:
                yield (sid, at, "down", round(rng.uniform(0.2, 3.0), 1), "refused the connection (Connection refused)")
            else:
                ms = latency()
                yield (sid, at, "up", ms, f"answered 200 in {ms:.0f} ms")
        at += timedelta(seconds=INTERVAL)


def copy_rows(table: str, columns: list[str], rows) -> int:
    from django.db import connection

    connection.ensure_connection()
    n = 0
    with connection.connection.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def rollup_rows(ids: list[int], period: str, start: datetime, end: datetime, step: timedelta):
    checks = int(step.total_seconds() // INTERVAL)
    at = start
    while at < end:
        for sid in ids:
            down = 0 if rng.random() > 0.02 else rng.randint(1, 5)
            p50 = latency()
            yield (sid, period, at, checks - down, 0, down, p50, round(p50 * 2.5, 1), round(p50 * 6, 1))
        at += step


def flip_rows(ids: list[int]):
    for sid in ids:
        moments = sorted(END - timedelta(seconds=rng.uniform(0, 365 * 86400)) for _ in range(FLIPS_PER_YEAR))
        state = "up"
        for i, created in enumerate(moments):
            new = "down" if state == "up" else "up"
            if i % 10 == 9:
                new = "degraded" if state == "up" else "up"
            reason = (
                "refused the connection (Connection refused)"
                if new == "down"
                else f"answered 200 in {latency():.0f} ms"
            )
            yield (sid, created, state, new, reason, None, created + timedelta(seconds=5))
            state = new


def sizes() -> dict[str, dict[str, int]]:
    from django.db import connection

    out = {}
    with connection.cursor() as cur:
        for table in TABLES:
            cur.execute(
                "SELECT pg_total_relation_size(%s), pg_relation_size(%s), pg_indexes_size(%s), "
                "coalesce((SELECT pg_total_relation_size(reltoastrelid) FROM pg_class WHERE relname = %s AND reltoastrelid <> 0), 0), "
                "(SELECT count(*) FROM " + table + ")",
                [table, table, table, table],
            )
            total, heap, indexes, toast, rows = cur.fetchone()
            cur.execute(
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
                "WHERE indrelid = %s::regclass ORDER BY 2 DESC",
                [table],
            )
            out[table] = {
                "total": total,
                "heap": heap,
                "indexes": indexes,
                "toast": toast,
                "rows": rows,
                "index_list": cur.fetchall(),
            }
    return out


def vacuum(full_analyze: bool = True) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        for table in TABLES:
            cur.execute(f"VACUUM {'ANALYZE ' if full_analyze else ''}{table}")


def report(title: str, s: dict) -> int:
    print(f"\n== {title} ==")
    print(
        f"{'table':15s} {'rows':>9s} {'heap':>10s} {'indexes':>10s} {'toast':>8s} {'total':>10s} {'per service':>12s}"
    )
    grand = 0
    for table, v in s.items():
        grand += v["total"]
        print(
            f"{table:15s} {v['rows']:9d} {v['heap'] / 1e6:8.2f}MB {v['indexes'] / 1e6:8.2f}MB {v['toast'] / 1e3:6.0f}kB "
            f"{v['total'] / 1e6:8.2f}MB {v['total'] / SERVICES / 1e3:9.1f} kB"
        )
        for name, size in v["index_list"]:
            print(f"{'':17s}index {name}: {size / SERVICES / 1e3:.1f} kB per service")
    per = grand / SERVICES
    verdict = (
        "MET" if per < TARGET_BYTES else f"MISSED by {(per - TARGET_BYTES) / 1e3:.0f} kB (x{per / TARGET_BYTES:.1f})"
    )
    print(
        f"{'all three':15s} {'':9s} {'':10s} {'':10s} {'':8s} {grand / 1e6:8.2f}MB {per / 1e3:9.1f} kB per service-year "
        f"(target < {TARGET_BYTES / 1e3:.0f} kB: {verdict})"
    )
    return grand


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sim-hours", type=int, default=24)
    args = parser.parse_args()

    setup_django()
    from django.conf import settings
    from django.db import connection

    from apps.status import rollups
    from apps.status.models import Kind, Service

    print(f"machine: {machine()}")
    print(f"tree: {tree_state()}")
    print(
        f"STATUS_RAW_HOURS={settings.STATUS_RAW_HOURS} STATUS_HOURLY_DAYS={settings.STATUS_HOURLY_DAYS}; "
        f"{SERVICES} services every {INTERVAL} s; {FLIPS_PER_YEAR} flips per service-year"
    )
    assert settings.STATUS_RAW_HOURS == 48 and settings.STATUS_HOURLY_DAYS == HOURLY_DAYS
    reset_status_tables()
    Service.objects.bulk_create(
        Service(
            name=f"bench-store-{i}", label=f"Store {i}", kind=Kind.HTTP, check_config={"url": "http://127.0.0.1:9/"}
        )
        for i in range(SERVICES)
    )
    ids = list(Service.objects.order_by("pk").values_list("pk", flat=True))
    raw_start = END - timedelta(hours=settings.STATUS_RAW_HOURS)

    with Meter() as m:
        n_hour = copy_rows(
            "status_rollup",
            ["service_id", "period", "start", "up", "degraded", "down", "p50_ms", "p95_ms", "max_ms"],
            rollup_rows(ids, "hour", END - timedelta(days=HOURLY_DAYS), END, timedelta(hours=1)),
        )
        n_day = copy_rows(
            "status_rollup",
            ["service_id", "period", "start", "up", "degraded", "down", "p50_ms", "p95_ms", "max_ms"],
            rollup_rows(ids, "day", END - timedelta(days=DAILY_DAYS), END, timedelta(days=1)),
        )
        n_raw = copy_rows(
            "status_result", ["service_id", "at", "outcome", "latency_ms", "message"], result_rows(ids, raw_start, END)
        )
        n_flip = copy_rows(
            "status_flip", ["service_id", "created", "old", "new", "reason", "cause_id", "processed"], flip_rows(ids)
        )
    print(f"inserted {n_raw} raw results, {n_hour} hourly + {n_day} daily rollups, {n_flip} flips in {m.wall:.1f} s")
    vacuum()
    fresh = sizes()
    grand = report("after a year, freshly loaded (no dead space)", fresh)
    raw_per = fresh["status_result"]["total"] / SERVICES
    print(
        f"steady-state raw results (48 h at 60 s = {n_raw // SERVICES} rows): {raw_per / 1e3:.1f} kB per service "
        f"({fresh['status_result']['total'] / max(fresh['status_result']['rows'], 1):.0f} B per row incl. indexes)"
    )
    hourly_share = None
    with connection.cursor() as cur:
        cur.execute("SELECT period, count(*) FROM status_rollup GROUP BY period")
        counts = dict(cur.fetchall())
        rollup_total = fresh["status_rollup"]["total"]
        hourly_share = rollup_total * counts["hour"] / (counts["hour"] + counts["day"])
    print(
        f"hourly rollups ~{hourly_share / SERVICES / 1e3:.1f} kB per service ({counts['hour'] // SERVICES} rows), "
        f"daily ~{(rollup_total - hourly_share) / SERVICES / 1e3:.1f} kB per service-year ({counts['day'] // SERVICES} rows); "
        f"a service exactly one year old (8,760 hourly rows) ~{(grand - hourly_share * (1 - 8760 / 9600)) / SERVICES / 1e3:.1f} kB"
    )

    if args.sim_hours:
        with Meter() as m:
            now = END
            for hour in range(args.sim_hours):
                copy_rows(
                    "status_result",
                    ["service_id", "at", "outcome", "latency_ms", "message"],
                    result_rows(ids, now, now + timedelta(hours=1)),
                )
                now += timedelta(hours=1)
                with Meter() as r:
                    rollups.rollup_and_prune(now=now + timedelta(seconds=30))
                if hour in (0, args.sim_hours - 1):
                    print(f"  simulated hour {hour + 1}: rollup_and_prune took {r.wall:.2f} s wall, {r.cpu:.2f} s CPU")
        print(f"simulated {args.sim_hours} h of checks + hourly rollup_and_prune in {m.wall:.1f} s")
        vacuum(full_analyze=False)
        report(
            f"after {args.sim_hours} more hours of the real rollup_and_prune, then VACUUM (steady state with churn)",
            sizes(),
        )


if __name__ == "__main__":
    main()
