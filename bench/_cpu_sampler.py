"""Samples CPU use every INTERVAL seconds, for gateway.py: one line per sample, time.time()
then the CPU seconds each named group of processes has used so far, and the machine's total
(from /proc/stat in 10 ms ticks, every process on it, other people's included).

    python bench/_cpu_sampler.py OUT INTERVAL name=pid[,pid...] ...

A group is each pid and its descendants, looked up again every second. Stops when OUT's
directory disappears or after an hour.
"""

from __future__ import annotations

import json
import os
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def machine_cpu() -> float:
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICK


def descendants(roots: list[int]) -> list[int]:
    found, frontier = list(roots), list(roots)
    while frontier:
        pid = frontier.pop()
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                children = [int(c) for c in f.read().split()]
        except OSError:
            continue
        found += children
        frontier += children
    return found


def cpu_of(pids: list[int]) -> float:
    """Seconds on a CPU of every thread of these processes (schedstat: nanoseconds, where
    /proc/PID/stat counts 10 ms ticks, too coarse for a 20 ms sample)."""
    total = 0
    for pid in pids:
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in threads:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except OSError:
                continue
    return total / 1e9


def main() -> None:
    out, interval = sys.argv[1], float(sys.argv[2])
    roots = {name: [int(p) for p in pids.split(",")] for name, pids in (a.split("=") for a in sys.argv[3:])}
    trees, looked_up, deadline = {}, 0.0, time.monotonic() + 3600
    with open(out, "w", buffering=1) as f:
        while time.monotonic() < deadline and os.path.isdir(os.path.dirname(out)):
            if time.monotonic() - looked_up > 1:
                trees, looked_up = {name: descendants(pids) for name, pids in roots.items()}, time.monotonic()
            sample = {name: cpu_of(pids) for name, pids in trees.items()}
            sample["machine"] = machine_cpu()
            f.write(json.dumps([time.time(), sample]) + "\n")
            time.sleep(interval)


if __name__ == "__main__":
    main()
