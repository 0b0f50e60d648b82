"""Shared set-up for the benchmarks: a dedicated Postgres database, migrated, and Django.

Everything talks to 127.0.0.1 only. The database (default homeops_bench) is created if
missing and migrated with `manage.py migrate`; HOMEOPS_DATA_DIR is a fresh temp dir.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable  # the interpreter running the script (normally .venv/bin/python)
DB_NAME = os.environ.get("BENCH_DB", "homeops_bench")
PG = "postgres://postgres@127.0.0.1:5432"
DATABASE_URL = f"{PG}/{DB_NAME}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")


def bench_env(data_dir: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="homeops.settings",
        DATABASE_URL=DATABASE_URL,
        HOMEOPS_DATA_DIR=data_dir,
        DEBUG="false",
        HOMEOPS_LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="127.0.0.1",
    )
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def setup_django(**extra_env: str) -> str:
    """Create/migrate the bench DB, then django.setup() in this process. Returns the data dir."""
    data_dir = tempfile.mkdtemp(prefix="homeops-bench-")
    env = bench_env(data_dir, **extra_env)
    ensure_database()
    t = time.perf_counter()
    subprocess.run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    print(f"[setup] {DB_NAME} migrated in {time.perf_counter() - t:.1f} s; data dir {data_dir}", flush=True)
    os.environ.update(env)
    if "REDIS_URL" not in env:
        os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return data_dir


def reset_status_tables() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE status_service, status_host RESTART IDENTITY CASCADE")


class Meter:
    """Wall, CPU (getrusage self: user+sys, and time.process_time) over a block."""

    def __enter__(self) -> Meter:
        self.r0 = resource.getrusage(resource.RUSAGE_SELF)
        self.p0 = time.process_time()
        self.w0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.w0
        self.process = time.process_time() - self.p0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        self.user = r1.ru_utime - self.r0.ru_utime
        self.sys = r1.ru_stime - self.r0.ru_stime
        self.cpu = self.user + self.sys


def tree_state() -> str:
    """The commit and the uncommitted edits under apps/ and homeops/ that this run measured."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--short", "--", "apps", "homeops"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split("\n")
    dirty = [line.strip() for line in dirty if line.strip()]
    return f"commit {head}" + (f" + uncommitted: {', '.join(dirty)}" if dirty else " (clean)")


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def machine() -> str:
    nproc = os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{nproc} cores, Python {platform.python_version()}, {platform.platform()}, load average {load}"


def median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def speed() -> str:
    """The machine's speed right now, as the README quotes it: best of 5 `sum(range(10**6))`."""
    import timeit

    best = min(timeit.repeat("sum(range(10**6))", number=5, repeat=5)) / 5
    return f"timeit sum(range(10**6)) = {best * 1000:.1f} ms"
