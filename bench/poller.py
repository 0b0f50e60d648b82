"""One polling round of 1,000 HTTP checks through the real engine, against Postgres.

50 aiohttp.web servers (a separate process) on 127.0.0.1 answer each request after 50 ms;
1,000 Service rows (kind http, next_check_at None) point at them, 20 per server. Each
measured run times engine.run_round(queue="celery", concurrency=100): claim (SELECT ... FOR
UPDATE SKIP LOCKED + bulk_update), the asyncio checks, record (bulk insert + bulk_update +
settle). Then the same three phases are called one by one for a breakdown, and the bare
check phase is repeated with httpx.AsyncClient for comparison.

Physical floor: 1,000 checks / 100 in flight x 50 ms = 0.5 s.
Targets: whole round < 1 s wall, < 0.5 ms CPU per check (this process; Postgres not counted).

Usage: .venv/bin/python bench/poller.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    PYTHON,
    ROOT,
    Meter,
    machine,
    maxrss_mib,
    median,
    reset_status_tables,
    setup_django,
    tree_state,
)

CHECKS = 1000
SERVERS = 50
DELAY_MS = 50
CONCURRENCY = 100
FLOOR_S = CHECKS / CONCURRENCY * DELAY_MS / 1000
TARGET_WALL_S = 1.0
TARGET_CPU_MS = 0.5


def start_servers() -> tuple[subprocess.Popen, list[int]]:
    proc = subprocess.Popen(
        [PYTHON, str(ROOT / "bench" / "_slow_servers.py"), str(SERVERS), str(DELAY_MS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    ports = json.loads(proc.stdout.readline())
    assert len(ports) == SERVERS
    return proc, ports


def make_services(ports: list[int]) -> None:
    from apps.status.models import Kind, Service

    Service.objects.bulk_create(
        Service(
            name=f"bench-http-{i}",
            label=f"Bench HTTP {i}",
            kind=Kind.HTTP,
            check_config={"url": f"http://127.0.0.1:{ports[i % SERVERS]}/"},
            next_check_at=None,
            interval=60,
            timeout=10.0,
        )
        for i in range(CHECKS)
    )


def make_due() -> None:
    from apps.status.models import Service

    Service.objects.update(next_check_at=None)


def states_summary() -> dict[str, int]:
    from django.db.models import Count

    from apps.status.models import Service

    return dict(Service.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n"))


def timed_round() -> dict[str, float]:
    from apps.status import engine

    make_due()
    with Meter() as m:
        ran = engine.run_round(queue="celery", concurrency=CONCURRENCY)
    assert ran == CHECKS, ran
    return {"wall": m.wall, "cpu": m.cpu, "process": m.process, "user": m.user, "sys": m.sys}


def timed_phases() -> dict[str, dict[str, float]]:
    from django.utils import timezone

    from apps.status import checks, engine
    from apps.status.kinds.base import Probe

    make_due()
    out = {}
    now = timezone.now()
    with Meter() as m:
        services = engine.claim_due(queue="celery", now=now)
    assert len(services) == CHECKS
    out["claim"] = m
    probes = [Probe(s.pk, s.kind, s.check_config, s.timeout) for s in services]
    with Meter() as m:
        outcomes = asyncio.run(checks.run_probes(probes, concurrency=CONCURRENCY))
    out["check (aiohttp)"] = m
    bad = [o for o in outcomes if o.state != "up"]
    assert not bad, bad[:3]
    with Meter() as m:
        engine.record(services, outcomes, now=timezone.now())
    out["record"] = m
    with Meter() as m:
        engine.evaluate_heartbeats(now=now)
    out["heartbeats (0 rows)"] = m
    if hasattr(engine, "mark_silent"):  # added to run_round on 2026-11-27
        with Meter() as m:
            engine.mark_silent(now=now)
        out["mark_silent (1,000 rows)"] = m
    return {k: {"wall": v.wall, "cpu": v.cpu} for k, v in out.items()}


async def httpx_checks(urls: list[str]) -> int:
    import httpx

    sem = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=10.0, trust_env=False) as client:

        async def one(url: str) -> int:
            async with sem:
                r = await client.get(url, headers={"User-Agent": "HomeOps status check"})
                return r.status_code

        codes = await asyncio.gather(*(one(u) for u in urls))
    return sum(1 for c in codes if c == 200)


def timed_httpx(urls: list[str]) -> dict[str, float]:
    with Meter() as m:
        ok = asyncio.run(httpx_checks(urls))
    assert ok == CHECKS, ok
    return {"wall": m.wall, "cpu": m.cpu}


def timed_alternative() -> dict[str, dict[str, float]]:
    """NOT the engine: a bench-only sketch of the write path suggested in README.md, timed on
    the same 1,000 services and outcomes. Claim = one UPDATE ... WHERE id IN (SELECT ... FOR
    UPDATE SKIP LOCKED) RETURNING; record = COPY the results + one UPDATE ... FROM unnest(...)."""
    import json as _json

    from django.db import connection, transaction
    from django.utils import timezone

    from apps.status import checks, engine, state_machine
    from apps.status.kinds.base import Probe

    make_due()
    now = timezone.now()
    out = {}
    with Meter() as m, transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE status_service s SET next_check_at = %s + make_interval(secs => s.interval) "
            "WHERE s.id IN (SELECT id FROM status_service WHERE enabled AND queue = %s AND kind = ANY(%s) "
            "AND (next_check_at <= %s OR next_check_at IS NULL) ORDER BY next_check_at LIMIT %s "
            "FOR UPDATE SKIP LOCKED) RETURNING id, kind, check_config, timeout, state, fail_count, retries, version",
            [now, "celery", [str(k) for k in engine.POLLED], now, engine.ROUND_LIMIT],
        )
        rows = cur.fetchall()
    out["claim (1 UPDATE)"] = m
    assert len(rows) == CHECKS
    probes = [Probe(r[0], r[1], r[2] if isinstance(r[2], dict) else _json.loads(r[2]), r[3]) for r in rows]
    outcomes = asyncio.run(checks.run_probes(probes, concurrency=CONCURRENCY))
    with Meter() as m:
        at = timezone.now()
        ids, fails, lats, msgs, versions, details, new_states = [], [], [], [], [], [], []
        for r, o in zip(rows, outcomes, strict=True):
            state, fail = state_machine.after_check(current=r[4], fail_count=r[5], outcome=o.state, retries=r[6])
            ids.append(r[0])
            fails.append(fail)
            lats.append(o.latency_ms)
            msgs.append(o.message[:300])
            versions.append(o.version or r[7])
            details.append(_json.dumps(o.data))
            new_states.append(state)
        with transaction.atomic():
            raw = connection.connection
            with raw.cursor() as c2:
                with c2.copy("COPY status_result (service_id, at, outcome, latency_ms, message) FROM STDIN") as cp:
                    for sid, o in zip(ids, outcomes, strict=True):
                        cp.write_row((sid, at, str(o.state), o.latency_ms, o.message[:300]))
                c2.execute(
                    "UPDATE status_service s SET fail_count = v.fail, latency_ms = v.lat, last_checked_at = %s, "
                    "message = v.msg, version = v.ver, details = v.det::jsonb "
                    "FROM unnest(%s::bigint[], %s::int[], %s::float8[], %s::text[], %s::text[], %s::text[]) "
                    "AS v(id, fail, lat, msg, ver, det) WHERE s.id = v.id",
                    [at, ids, fails, lats, msgs, versions, details],
                )
            # (settle() would run here; in this steady state no service changes state)
    out["record (COPY + 1 UPDATE)"] = m
    return {k: {"wall": v.wall, "cpu": v.cpu} for k, v in out.items()}


def profile_round(path: str) -> None:
    import cProfile
    import pstats

    from apps.status import engine

    make_due()
    prof = cProfile.Profile()
    prof.enable()
    engine.run_round(queue="celery", concurrency=CONCURRENCY)
    prof.disable()
    prof.dump_stats(path)
    print(f"\ncProfile of one round (saved to {path}), top 25 by cumulative time:")
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE", help="also cProfile one extra round into FILE")
    args = parser.parse_args()

    setup_django()
    reset_status_tables()
    rss_setup = maxrss_mib()
    servers, ports = start_servers()
    try:
        make_services(ports)
        urls = [f"http://127.0.0.1:{ports[i % SERVERS]}/" for i in range(CHECKS)]
        print(f"machine: {machine()}")
        print(f"tree: {tree_state()}")
        print(f"{CHECKS} checks over {SERVERS} servers answering after {DELAY_MS} ms, concurrency {CONCURRENCY}")
        print(f"physical floor {FLOOR_S:.2f} s; peak RSS after Django setup {rss_setup:.1f} MiB\n")

        cold = timed_round()  # first round: every service flips unknown -> up (1,000 Flip rows)
        print(
            f"cold round (1,000 flips unknown->up): wall {cold['wall']:.3f} s, "
            f"CPU {cold['cpu'] / CHECKS * 1000:.3f} ms/check; states {states_summary()}"
        )

        rounds = []
        for i in range(args.runs):
            r = timed_round()
            rounds.append(r)
            print(
                f"round {i + 1} (steady state, no flips): wall {r['wall']:.3f} s, CPU {r['cpu']:.3f} s "
                f"(user {r['user']:.3f}, sys {r['sys']:.3f}; process_time {r['process']:.3f}) = "
                f"{r['cpu'] / CHECKS * 1000:.3f} ms/check"
            )
        phases = [timed_phases() for _ in range(args.runs)]
        hx = [timed_httpx(urls) for _ in range(args.runs)]
        alt = [timed_alternative() for _ in range(args.runs)]
        rss_end = maxrss_mib()

        wall = median([r["wall"] for r in rounds])
        cpu_ms = median([r["cpu"] for r in rounds]) / CHECKS * 1000
        proc_ms = median([r["process"] for r in rounds]) / CHECKS * 1000
        print(f"\n== run_round, median of {args.runs} ==")
        print(
            f"wall                 {wall:.3f} s   (target < {TARGET_WALL_S} s, floor {FLOOR_S} s) "
            f"{'MET' if wall < TARGET_WALL_S else f'MISSED by {wall - TARGET_WALL_S:.3f} s'}"
        )
        print(
            f"CPU per check        {cpu_ms:.3f} ms (getrusage self), {proc_ms:.3f} ms (process_time) "
            f"(target < {TARGET_CPU_MS} ms) "
            f"{'MET' if cpu_ms < TARGET_CPU_MS else f'MISSED by {cpu_ms - TARGET_CPU_MS:.3f} ms (x{cpu_ms / TARGET_CPU_MS:.2f})'}"
        )
        print(f"peak RSS (ru_maxrss) {rss_end:.1f} MiB (after setup {rss_setup:.1f} MiB)")
        print(f"\n== phases called separately, median of {args.runs} ==")
        for name in phases[0]:
            w = median([p[name]["wall"] for p in phases])
            c = median([p[name]["cpu"] for p in phases])
            print(f"{name:22s} wall {w * 1000:8.1f} ms   CPU {c * 1000:8.1f} ms = {c / CHECKS * 1000:.3f} ms/check")
        w = median([h["wall"] for h in hx])
        c = median([h["cpu"] for h in hx])
        print(
            f"{'check (httpx)':22s} wall {w * 1000:8.1f} ms   CPU {c * 1000:8.1f} ms = {c / CHECKS * 1000:.3f} ms/check"
            "   (bare GETs, AsyncClient max_connections=100)"
        )
        print("\n== NOT the engine: sketch of the suggested write path (README), same rows, median ==")
        for name in alt[0]:
            w = median([a[name]["wall"] for a in alt])
            c = median([a[name]["cpu"] for a in alt])
            print(f"{name:26s} wall {w * 1000:8.1f} ms   CPU {c * 1000:8.1f} ms = {c / CHECKS * 1000:.3f} ms/check")
        print("\nraw runs:", json.dumps({"rounds": rounds, "phases": phases, "httpx": hx, "alt": alt}, default=float))
        if args.profile:
            profile_round(args.profile)
    finally:
        servers.stdin.close()
        try:
            servers.wait(timeout=10)
        except subprocess.TimeoutExpired:
            servers.kill()


if __name__ == "__main__":
    main()
