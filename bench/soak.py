"""Soak: run `bin/run` (what `make run` starts) on its embedded defaults with the example
household for hours, and watch it as someone who left the trial running overnight would.

    .venv/bin/python bench/soak.py [--hours 2] [--port 8765] [--every 30]

Every `--every` seconds it asks for the sign-in page and /healthz, reads the ages of the
worker's and beat's heartbeats, the message files waiting in the embedded broker and any
set aside as unreadable, and the memory of every process of the run. It counts the
samples where a page did not answer or a heartbeat was late, and the lines in the run's
output that say a part stopped or was restarted. At the end it stops the run with Ctrl-C
(SIGINT to its process group) and checks that no process of it is left.
A fresh data dir in /tmp; all traffic to 127.0.0.1; the loop ends at the deadline.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STOP_WORDS = ("Unrecoverable error", "Traceback", "starting it again", "stopped (exit")


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except Exception:
        return 0, b""


def processes_of(data_dir: str) -> dict[int, str]:
    """pid -> command of every process whose environment names this run's data dir."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f"HOMEOPS_DATA_DIR={data_dir}".encode() in (entry / "environ").read_bytes():
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
        except OSError:
            continue
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--every", type=float, default=30.0)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="homeops-soak-")
    log_path = Path(data_dir) / "run.log"
    env = {**os.environ, "HOMEOPS_DATA_DIR": data_dir, "PORT": str(args.port)}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)  # make run's defaults: SQLite and the embedded broker
    with open(log_path, "wb") as log:
        run = subprocess.Popen(
            ["bin/run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{args.port}"
    print(
        f"[soak] bin/run pid {run.pid}, data dir {data_dir}, {args.hours} h, a sample every {args.every:.0f} s",
        flush=True,
    )

    started = time.monotonic()
    deadline = started + args.hours * 3600
    samples = page_down = health_bad = late = 0
    peak_rss = 0.0
    backlog_peak = 0
    first_up = None
    while time.monotonic() < deadline and run.poll() is None:
        time.sleep(args.every)
        samples += 1
        login, _ = fetch(f"{base}/accounts/login/")
        status, body = fetch(f"{base}/healthz")
        report = json.loads(body) if body.startswith(b"{") else {}
        ages = [report.get(part, {}).get("age_seconds") for part in ("worker", "beat")]
        queue = Path(data_dir, "broker", "queue")
        backlog = len(list(queue.iterdir())) if queue.exists() else 0
        rss = sum(rss_mb(pid) for pid in processes_of(data_dir))
        peak_rss, backlog_peak = max(peak_rss, rss), max(backlog_peak, backlog)
        if login == 200 and first_up is None:
            first_up = time.monotonic() - started
        if first_up is not None:  # count faults once the portal has come up
            page_down += login != 200
            health_bad += status != 200
            settled = time.monotonic() - started - first_up > 120  # the first heartbeats are on their way
            late += any(age > 120 if age is not None else settled for age in ages)
        minute = (time.monotonic() - started) / 60
        print(
            f"[soak] {minute:6.1f} min  sign-in {login}  healthz {status}  worker/beat age {ages}  "
            f"broker files {backlog}  rss {rss:.0f} MB",
            flush=True,
        )

    alive = run.poll() is None
    if alive:
        os.killpg(run.pid, signal.SIGINT)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            print("[soak] bin/run did not stop within 60 s of Ctrl-C", flush=True)
    time.sleep(2)
    left = processes_of(data_dir)
    output = log_path.read_text(errors="replace")
    bad = Path(data_dir, "broker", "bad")
    unreadable = len(list(bad.iterdir())) if bad.exists() else 0
    print("[soak] lines of note in the run's output:")
    for line in output.splitlines():
        if any(word in line for word in STOP_WORDS):
            print(f"    {line[:160]}")
    hours = (time.monotonic() - started) / 3600
    print(
        f"[soak] {hours:.2f} h, {samples} samples: up after {first_up or 0:.0f} s; still running at the end: {alive}; "
        f"sign-in not answering {page_down}, /healthz not 200 {health_bad}, a heartbeat late {late}; "
        f"peak broker backlog {backlog_peak} files, unreadable messages {unreadable}; peak RSS {peak_rss:.0f} MB; "
        f"processes left after Ctrl-C {len(left)} {sorted(left.values()) if left else ''}; "
        f"'Stopped' line printed: {'Stopped the web server' in output}"
    )
    ok = alive and not (page_down or health_bad or late or unreadable or left)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
