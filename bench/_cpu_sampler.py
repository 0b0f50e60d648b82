"""Samples CPU use every INTERVAL seconds, for gateway.py: one line per sample, time.time()
then the CPU seconds each named group of processes has used so far (from the first sample
on), and the machine's total (from /proc/stat in 10 ms ticks, every process on it, other
people's included).

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


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """Seconds on a CPU of every thread of each process (schedstat: nanoseconds, where
    /proc/PID/stat counts 10 ms ticks, too coarse for a 20 ms sample)."""
    used = {}
    for pid in pids:
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        total = 0
        for tid in threads:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except OSError:
                continue
        used[pid] = total / 1e9
    return used


def main() -> None:
    out, interval = sys.argv[1], float(sys.argv[2])
    roots = {name: [int(p) for p in pids.split(",")] for name, pids in (a.split("=") for a in sys.argv[3:])}
    trees, looked_up, deadline = {}, 0.0, time.monotonic() + 3600
    # Running totals from each process's growth between samples: a process that exits (a
    # Postgres backend, a worker child replaced after its tasks) must not make a total shrink.
    totals = dict.fromkeys(roots, 0.0)
    last: dict[int, float] = {}
    with open(out, "w", buffering=1) as f:
        while time.monotonic() < deadline and os.path.isdir(os.path.dirname(out)):
            if time.monotonic() - looked_up > 1:
                trees, looked_up = {name: descendants(pids) for name, pids in roots.items()}, time.monotonic()
            now = {}
            for name, pids in trees.items():
                used = cpu_by_pid(pids)
                totals[name] += sum(max(0.0, cpu - last.get(pid, cpu)) for pid, cpu in used.items())
                now.update(used)
            last = now
            f.write(json.dumps([time.time(), {**totals, "machine": machine_cpu()}]) + "\n")
            time.sleep(interval)


if __name__ == "__main__":
    main()
