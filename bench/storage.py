"""Database bytes per service-year after rollups (Postgres).

Does not insert a year of raw results (26M rows for 50 services at 60 s). It inserts what the
retention policy keeps after a year, in the order the engine writes it (time-major: one
round of all services after another), for 50 services checked every 60 s, as just before an
hourly rollup run (the most raw results there are):
  * STATUS_RAW_HOURS (48) of raw results packed by the hour (status_resulthour, 48 rows per
    service, packed by apps.status.packing) and the last hour not packed yet (status_result,
    60 rows per service): 2,880 + 60 checks;
  * STATUS_HOURLY_DAYS (400) day rows per service (status_rollup): each with the day's totals,
    kept forever, and its 24 hourly figures (packing.pack_hours), kept 400 days. 400 is the
    cap: a service exactly one year old has 365 such rows;
  * FLIPS_PER_YEAR flips per service (an outage a fortnight, down and back up, plus a few
    degraded spells), all processed by the notifier.
Then VACUUM ANALYZE and pg_total_relation_size / pg_relation_size / pg_indexes_size of
status_result, status_resulthour, status_rollup and status_flip, divided by 50.

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
TABLES = ["status_result", "status_resulthour", "status_rollup", "status_flip"]
RESULT_COLUMNS = ["service_id", "at", "outcome", "latency_ms", "message"]
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


def packed_hours(ids: list[int], start: datetime, end: datetime):
    """ResultHour rows for [start, end), packed by the real code from result_rows."""
    from apps.status.packing import Check, pack_checks

    hour = start
    while hour < end:
        by_service: dict[int, list] = {sid: [] for sid in ids}
        for sid, at, outcome, ms, message in result_rows(ids, hour, hour + timedelta(hours=1)):
            by_service[sid].append(Check(at, outcome, ms, message))
        for sid, checks in by_service.items():
            data, messages = pack_checks(hour, checks)
            yield (sid, hour, data, messages)
        hour += timedelta(hours=1)


def day_rows(ids: list[int], start: datetime, end: datetime):
    """Rollup rows for the days in [start, end): random hourly figures, packed by the real code."""
    from apps.status.packing import Figures, day_totals, pack_hours

    checks = 3600 // INTERVAL
    day = start
    while day < end:
        for sid in ids:
            hours = []
            for _ in range(24):
                down = 0 if rng.random() > 0.02 else rng.randint(1, 5)
                p50 = latency()
                hours.append(Figures(checks - down, 0, down, p50, round(p50 * 2.5, 1), round(p50 * 6, 1)))
            yield (sid, day, *day_totals(hours), pack_hours(hours))
        day += timedelta(days=1)


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
        f"{'all':15s} {'':9s} {'':10s} {'':10s} {'':8s} {grand / 1e6:8.2f}MB {per / 1e3:9.1f} kB per service-year "
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
        n_days = copy_rows(
            "status_rollup",
            ["service_id", "start", "up", "degraded", "down", "p50_ms", "p95_ms", "max_ms", "hours"],
            day_rows(ids, END - timedelta(days=HOURLY_DAYS), END),
        )
        n_hours = copy_rows(
            "status_resulthour", ["service_id", "hour", "checks", "messages"], packed_hours(ids, raw_start, END)
        )
        n_raw = copy_rows("status_result", RESULT_COLUMNS, result_rows(ids, END, END + timedelta(hours=1)))
        n_flip = copy_rows(
            "status_flip", ["service_id", "created", "old", "new", "reason", "cause_id", "processed"], flip_rows(ids)
        )
    print(
        f"inserted {n_hours} packed raw hours + {n_raw} raw results not packed yet, {n_days} day rollups, "
        f"{n_flip} flips in {m.wall:.1f} s"
    )
    vacuum()
    fresh = sizes()
    grand = report("after a year, freshly loaded (no dead space)", fresh)
    raw_total = fresh["status_result"]["total"] + fresh["status_resulthour"]["total"]
    checks = (n_hours // SERVICES) * 3600 // INTERVAL + n_raw // SERVICES
    print(
        f"raw results ({checks} checks per service: 48 h packed, 1 h not yet): {raw_total / SERVICES / 1e3:.1f} kB "
        f"per service ({raw_total / SERVICES / checks:.1f} B per check incl. indexes)"
    )
    rollup_total = fresh["status_rollup"]["total"]
    with connection.cursor() as cur:
        cur.execute("SELECT sum(pg_column_size(hours)) FROM status_rollup")
        hours_bytes = cur.fetchone()[0]
    per_day = rollup_total / SERVICES / (n_days // SERVICES)
    print(
        f"day rollups: {rollup_total / SERVICES / 1e3:.1f} kB per service ({n_days // SERVICES} rows, {per_day:.0f} B "
        f"per row incl. indexes), of which the packed hourly figures {hours_bytes / SERVICES / 1e3:.1f} kB; "
        f"a service exactly one year old (365 rows) ~{(grand - rollup_total * (1 - 365 / HOURLY_DAYS)) / SERVICES / 1e3:.1f} kB; "
        f"each later year adds ~{(per_day - hours_bytes / n_days) * 365 / 1e3:.0f} kB of day totals"
    )

    if args.sim_hours:
        with Meter() as m:
            now = END + timedelta(hours=1)  # the fresh load holds the hour before it unpacked
            for hour in range(args.sim_hours):
                copy_rows("status_result", RESULT_COLUMNS, result_rows(ids, now, now + timedelta(hours=1)))
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
