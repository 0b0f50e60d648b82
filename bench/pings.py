"""Pings per second that /ping/<uuid> sustains, every ping recorded in Postgres.

Starts uvicorn as bin/run does (homeops.asgi:application, --log-level warning) on a free
127.0.0.1 port, with DATABASE_URL -> the bench DB, REDIS_URL=redis://127.0.0.1:6379/9 (BENCH_REDIS_URL overrides),
DEBUG=false, ALLOWED_HOSTS=127.0.0.1. Creates 20,000 heartbeat services, then an aiohttp
load generator (20 connections, keep-alive) GETs /ping/<random uuid> until 20,000 requests
or 20 s, whichever comes first.

Rate limit: a uuid may ping PINGS_PER_MINUTE (60) times per calendar minute, counted in its
row. With 20,000 uuids and at most 20,000 requests per configuration, a uuid gets a few pings
per run (the script records the busiest uuid's count and every 429), far below the limit.

"Every ping recorded" is checked three ways after uvicorn has stopped:
 * HTTP 200 count == requests sent (no 429/404/5xx, no client errors);
 * Postgres' own row-update counter for status_service (pg_stat_user_tables.n_tup_upd)
   grew by exactly (200 responses + flips written by settle), i.e. one UPDATE per ping;
 * every uuid that got a 200 has last_ping_at >= the run's start, every other uuid not.

Configurations: 1 worker steady state (services already UP, the normal case), 2 workers
steady state, and 1 worker "first pings" (services UNKNOWN, so most pings change state and
run engine.settle()), and, for comparison only (not how bin/run serves), the same app
through uvicorn's WSGI interface (bench/_django_wsgi.py, a pool of reused threads); e and f are the
floor, a trivial ASGI app (bench/_floor_asgi.py) under the same uvicorn with 1 and 2 workers.
CPU is counted for the uvicorn processes, for every postgres process on the machine, and for
the load generator (this process). uvicorn runs under `timeout 300`, so it stops by itself
even if this script dies.

Usage: .venv/bin/python bench/pings.py [--requests 20000] [--seconds 20] [--configs a,b,c,d,e,f]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    DATABASE_URL,
    REDIS_URL,
    ROOT,
    Meter,
    bench_env,
    machine,
    reset_status_tables,
    setup_django,
    tree_state,
)

SERVICES = 20_000
CONNECTIONS = 20
TARGET = 1000.0
HEALTHCHECKS = 90.0
SERVER_LIFETIME = 300  # seconds; one configuration needs well under a minute


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_services() -> list[str]:
    from apps.status.models import Kind, Service

    uuids = [uuid.uuid4() for _ in range(SERVICES)]
    Service.objects.bulk_create(
        (
            Service(name=f"bench-hb-{i}", label=f"Bench heartbeat {i}", kind=Kind.HEARTBEAT, ping_uuid=u)
            for i, u in enumerate(uuids)
        ),
        batch_size=2000,
    )
    return [str(u) for u in uuids]


def set_start_state(steady: bool) -> None:
    """steady: every heartbeat UP and pinged a minute ago, so a ping changes no state.
    first pings: UNKNOWN, never pinged, so the first ping to each moves it to UP (settle)."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from apps.status.models import Flip, Service, State

    now = timezone.now()
    Flip.objects.all().delete()
    if steady:
        Service.objects.update(
            state=State.UP,
            state_since=now - timedelta(days=1),
            last_ping_at=now - timedelta(minutes=1),
            last_ping_kind="success",
            message="pinged on time",
            last_ping_body="",
        )
    else:
        Service.objects.update(
            state=State.UNKNOWN,
            state_since=None,
            last_ping_at=None,
            last_ping_kind="",
            message="waiting for the first ping",
            last_ping_body="",
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE status_service")
    connection.close()
    if connection.pool is not None:  # closing backends flush their statistics; pooled ones stay open
        connection.close_pool()


def pg_stats() -> dict[str, int]:
    import psycopg

    time.sleep(1.0)
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        upd, hot = conn.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'status_service'"
        ).fetchone()
        flips = conn.execute("SELECT count(*) FROM status_flip").fetchone()[0]
    return {"upd": upd, "hot": hot, "flips": flips}


def max_connections() -> int:
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        return int(conn.execute("SHOW max_connections").fetchone()[0])


class ConnSampler(threading.Thread):
    """Counts this database's Postgres backends every 0.5 s while the load runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peak = 0

    def run(self) -> None:
        import psycopg

        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            for _ in range(600):  # bounded: at most 5 minutes
                n = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchone()[0]
                self.peak = max(self.peak, n)
                if self.stop.wait(0.5):
                    break


def _procs() -> dict[int, tuple[int, float, str]]:
    """pid -> (parent pid, utime+stime in seconds, command name) for every process."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[int, float, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            name, fields = open(f"/proc/{entry}/stat").read().split("(", 1)[1].rsplit(")", 1)
        except (OSError, ValueError):
            continue
        fields = fields.split()
        procs[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, name)
    return procs


def postgres_cpu() -> float:
    """utime+stime of every postgres process on the machine (backends, WAL writer, ...), seconds.
    Exited backends are not counted; the pools keep theirs open through a run."""
    return sum(cpu for _, cpu, name in _procs().values() if name == "postgres")


def proc_cpu(pid: int) -> float:
    """utime+stime of pid and all its descendants (timeout -> uvicorn -> --workers), seconds."""
    procs = _procs()
    tree, grew = {pid}, True
    while grew:
        grew = False
        for p, (ppid, _, _) in procs.items():
            if ppid in tree and p not in tree:
                tree.add(p)
                grew = True
    return sum(cpu for p, (_, cpu, _) in procs.items() if p in tree)


APPS = {
    "asgi": ["homeops.asgi:application"],
    "wsgi": ["_django_wsgi:application", "--interface", "wsgi", "--app-dir", str(ROOT / "bench")],
    "floor": ["_floor_asgi:app", "--app-dir", str(ROOT / "bench")],
}


def start_uvicorn(port: int, workers: int, data_dir: str, app: str = "asgi") -> subprocess.Popen:
    env = bench_env(data_dir, REDIS_URL=REDIS_URL)
    cmd = [
        "timeout",  # a server the script fails to stop still stops by itself
        "-s",
        "TERM",
        str(SERVER_LIFETIME),
        str(Path(sys.executable).parent / "uvicorn"),  # beside the running interpreter
        *APPS[app],
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    log = open(Path(data_dir) / f"uvicorn-{port}.log", "w")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)


def summarise_pyspy(path: Path, top: int = 20) -> None:
    """py-spy raw output (collapsed stacks): the share of samples spent inside each function."""
    import collections

    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    total = 0
    for line in open(path):
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        frames = [
            f.split(" (")[0]
            + " ("
            + f.split(" (")[-1].split(":")[0].split("site-packages/")[-1].split("/work/main/")[-1]
            + ")"
            for f in stack.split(";")
        ]
        own[frames[-1]] += n
        for f in set(frames):
            inclusive[f] += n
    print(f"  py-spy: {total} samples (all threads, idle excluded) in {path}")
    print("  most time inside (inclusive):")
    for f, n in inclusive.most_common(top * 2):
        if any(
            k in f
            for k in (
                "ping",
                "connect",
                "execute",
                "get_or_set",
                "incr",
                "settle",
                "first",
                "update",
                "close",
                "get_response",
                "thread_handler",
                "middleware",
                "__call__",
            )
        ):
            print(f"    {n / total:6.1%}  {f}")
    print("  most time on-CPU in (self):")
    for f, n in own.most_common(top):
        print(f"    {n / total:6.1%}  {f}")


def server_errors(data_dir: str, port: int) -> dict[str, int]:
    """Exception lines in uvicorn's log (Django logs each 500 with its traceback)."""
    found: dict[str, int] = {}
    for line in open(Path(data_dir) / f"uvicorn-{port}.log", errors="replace"):
        if line.startswith(("psycopg.", "django.db.", "redis.", "OSError", "RuntimeError")) and ":" in line:
            key = line.split(":", 1)[0] + ":" + line.split(":", 1)[1][:60].rstrip()
            found[key] = found.get(key, 0) + 1
    return found


def stop_uvicorn(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


async def wait_ready(base: str) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as s:
        for _ in range(150):  # bounded: 30 s
            try:
                async with s.get(f"{base}/ping/{uuid.uuid4()}") as r:
                    if r.status in (200, 404):  # 200: the floor app answers everything
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("uvicorn did not come up")


async def warm_up(base: str) -> None:
    """Before the measurement and its CPU counters: 400 pings to unknown uuids (the 404 path,
    which runs the one-statement UPDATE first), so each worker has loaded its code, opened its
    pools and prepared its statement. They write nothing, so the row counts stay exact."""
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTIONS), trust_env=False) as s:

        async def warm() -> None:
            for _ in range(20):
                async with s.get(f"{base}/ping/{uuid.uuid4()}") as r:
                    await r.read()

        await asyncio.gather(*(warm() for _ in range(CONNECTIONS)))


async def load(base: str, uuids: list[str], total: int, seconds: float) -> dict:
    import aiohttp

    rng = random.Random(1)
    statuses: dict[int, int] = {}
    errors: dict[str, int] = {}
    latencies: list[float] = []
    per_uuid: dict[str, int] = {}
    sent = 0
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector, trust_env=False) as s:
        t0 = time.perf_counter()
        deadline = t0 + seconds

        async def worker() -> None:
            nonlocal sent
            while sent < total and time.perf_counter() < deadline:
                sent += 1
                u = rng.choice(uuids)
                start = time.perf_counter()
                try:
                    async with s.get(f"{base}/ping/{u}", timeout=aiohttp.ClientTimeout(total=30)) as r:
                        await r.read()
                        code = r.status
                except Exception as exc:  # noqa: BLE001 - every error is counted and reported
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    continue
                latencies.append(time.perf_counter() - start)
                statuses[code] = statuses.get(code, 0) + 1
                if code == 200:
                    per_uuid[u] = per_uuid.get(u, 0) + 1

        with Meter() as m:
            await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return {
        "sent": sent,
        "elapsed": m.wall,
        "gen_cpu": m.cpu,
        "statuses": statuses,
        "errors": errors,
        "latencies": sorted(latencies),
        "per_uuid": per_uuid,
    }


def pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(round(p * (len(sorted_values) - 1))))]


def verify(per_uuid: dict[str, int], since) -> tuple[int, int, int]:
    """(pinged uuids with last_ping_at >= since, pinged uuids without, unpinged uuids touched)."""
    from apps.status.models import Service

    rows = dict(Service.objects.values_list("ping_uuid", "last_ping_at"))
    good = bad = stray = 0
    for u, at in rows.items():
        fresh = at is not None and at >= since
        if str(u) in per_uuid:
            good += fresh
            bad += not fresh
        else:
            stray += fresh
    return good, bad, stray


def run_config(name: str, workers: int, steady: bool, uuids: list[str], args, data_dir: str, app: str) -> dict:
    from django.db import connection
    from django.utils import timezone

    set_start_state(steady)
    before = pg_stats()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_uvicorn(port, workers, data_dir, app)
    sampler = ConnSampler()
    try:
        asyncio.run(wait_ready(base))
        asyncio.run(warm_up(base))
        since = timezone.now()
        cpu0, pg0 = proc_cpu(proc.pid), postgres_cpu()
        sampler.start()
        spy = None
        if args.pyspy:
            spy_out = Path(data_dir) / f"pyspy-{port}.txt"
            spy = subprocess.Popen(
                [
                    args.pyspy,
                    "record",
                    "--subprocesses",
                    "--nonblocking",
                    "-r",
                    "200",
                    "-d",
                    str(int(min(10, max(2, args.seconds - 3)))),
                    "-f",
                    "raw",
                    "-o",
                    str(spy_out),
                    "-p",
                    str(proc.pid),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        res = asyncio.run(load(base, uuids, args.requests, args.seconds))
        server_cpu, pg_cpu = proc_cpu(proc.pid) - cpu0, postgres_cpu() - pg0
        load_avg = os.getloadavg()
        if spy:
            spy.wait(timeout=60)
            summarise_pyspy(spy_out)
    finally:
        sampler.stop.set()
        stop_uvicorn(proc)
    after = pg_stats()
    connection.close()
    good, bad, stray = verify(res["per_uuid"], since)
    ok = res["statuses"].get(200, 0)
    flips = after["flips"] - 0  # Flip rows were deleted before the run
    upd = after["upd"] - before["upd"]
    lat = res["latencies"]
    out = {
        "config": name,
        "workers": workers,
        "steady": steady,
        "sent": res["sent"],
        "ok": ok,
        "statuses": res["statuses"],
        "errors": res["errors"],
        "elapsed_s": res["elapsed"],
        "pings_per_s": ok / res["elapsed"],
        "p50_ms": pct(lat, 0.5) * 1000,
        "p95_ms": pct(lat, 0.95) * 1000,
        "p99_ms": pct(lat, 0.99) * 1000,
        "max_ms": (lat[-1] if lat else float("nan")) * 1000,
        "uuids_pinged": len(res["per_uuid"]),
        "busiest_uuid_pings": max(res["per_uuid"].values(), default=0),
        "row_updates": upd,
        "hot_updates": after["hot"] - before["hot"],
        "flips": flips,
        "updates_match": upd == ok + flips,
        "fresh_ok": good,
        "fresh_missing": bad,
        "stray": stray,
        "server_cpu_s": server_cpu,
        "server_cpu_ms_per_ping": server_cpu / max(ok, 1) * 1000,
        "pg_cpu_s": pg_cpu,
        "pg_cpu_ms_per_ping": pg_cpu / max(ok, 1) * 1000,
        "load_avg": load_avg,
        "gen_cpu_s": res["gen_cpu"],
        "pg_backends_peak": sampler.peak,
        "server_errors": server_errors(data_dir, port),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--configs", default="a,b,c,d")
    parser.add_argument("--pyspy", metavar="PY_SPY_BIN", help="sample the server with py-spy during each run")
    args = parser.parse_args()

    data_dir = setup_django(REDIS_URL=REDIS_URL)
    reset_status_tables()
    uuids = make_services()
    print(f"machine: {machine()}")
    print(f"tree: {tree_state()}")
    print(
        f"{SERVICES} heartbeat services; {CONNECTIONS} client connections; "
        f"up to {args.requests} requests or {args.seconds:g} s per configuration\n"
    )
    configs = {
        "a": ("1 worker, steady state", 1, True),
        "b": ("2 workers, steady state", 2, True),
        "c": ("1 worker, first pings (state changes)", 1, False),
        # Not how bin/run serves: the same Django app through uvicorn's WSGI interface (a
        # pool of 10 reused threads), to show what per-request connections cost under ASGI.
        "d": ("COMPARISON ONLY: uvicorn --interface wsgi bench/_django_wsgi.py, 1 worker, steady state", 1, True),
        # The floor: a trivial ASGI app (bench/_floor_asgi.py) under the same uvicorn, no
        # database: what uvicorn and the load generator cost per request on this machine.
        "e": ("FLOOR: trivial ASGI app (answers OK, records nothing), 1 worker", 1, True),
        "f": ("FLOOR: trivial ASGI app (answers OK, records nothing), 2 workers", 2, True),
    }
    apps = {"d": "wsgi", "e": "floor", "f": "floor"}
    results = []
    for key in args.configs.split(","):
        name, workers, steady = configs[key]
        r = run_config(name, workers, steady, uuids, args, data_dir, apps.get(key, "asgi"))
        results.append(r)
        verdict = "MET" if r["pings_per_s"] >= TARGET else f"MISSED by {TARGET - r['pings_per_s']:.0f} pings/s"
        print(f"== {name} ==")
        print(
            f"  {r['ok']}/{r['sent']} pings answered 200 in {r['elapsed_s']:.2f} s -> {r['pings_per_s']:.0f} pings/s "
            f"(target >= {TARGET:.0f}: {verdict}; Healthchecks quoted {HEALTHCHECKS:.0f}/s: x{r['pings_per_s'] / HEALTHCHECKS:.1f})"
        )
        print(
            f"  latency p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms"
        )
        print(
            f"  statuses {r['statuses']}, client errors {r['errors'] or 'none'}; busiest uuid got "
            f"{r['busiest_uuid_pings']} pings (limit 60/min)"
        )
        if key in ("e", "f"):
            print("  recorded: nothing (the floor app has no database)")
        else:
            print(
                f"  recorded: status_service row updates {r['row_updates']} = 200s {r['ok']} + flips {r['flips']}? "
                f"{r['updates_match']}; uuids with fresh last_ping_at {r['fresh_ok']}/{r['uuids_pinged']} "
                f"(missing {r['fresh_missing']}, stray {r['stray']})"
            )
        print(
            f"  CPU: server {r['server_cpu_s']:.1f} s = {r['server_cpu_ms_per_ping']:.2f} ms/ping, "
            f"Postgres {r['pg_cpu_s']:.1f} s = {r['pg_cpu_ms_per_ping']:.2f} ms/ping, "
            f"load generator {r['gen_cpu_s']:.1f} s = {r['gen_cpu_s'] / max(r['ok'], 1) * 1000:.2f} ms/ping; "
            f"peak Postgres backends for the DB {r['pg_backends_peak']} (max_connections {max_connections()})"
        )
        print("  load average at the end: " + ", ".join(f"{x:.2f}" for x in r["load_avg"]))
        if r["server_errors"]:
            print(f"  server-side exceptions: {r['server_errors']}")
        print("", flush=True)
    print("raw:", json.dumps(results))


if __name__ == "__main__":
    main()
