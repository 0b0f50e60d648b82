"""Streaming through the gateway against going to the backend directly (and LiteLLM's proxy).

One fake OpenAI-compatible backend (tests/fixtures/fake_llm.py, in its own process) streams
TOKENS tokens at a fixed cadence. In one run, REQUESTS streamed chat completions at
CONCURRENCY, each through:
  direct   the backend itself;
  homeops  uvicorn homeops.asgi:application, as bin/run serves it (1 worker, Postgres + Redis);
  litellm  LiteLLM's proxy (`litellm --config`), when a venv holding it is given (--litellm).
Reported: time to first token p50/p95 and the added part (minus direct), tokens per second
relative to direct, and the server's CPU per request (utime+stime of its process tree).
Targets: added TTFT p50 < 5 ms and p95 < 15 ms; throughput >= 90% of direct.

With --deployment, a Celery worker and beat run beside uvicorn as bin/run starts them (the
same commands, on the broker the settings choose: Redis with --broker redis, the embedded
filesystem broker with --broker embedded, which also leaves the cache to files), with the
example household loaded, so the web process shares the cores with their polling and ticks as
on a `make run` deployment. The paths are then measured interleaved, one request to each in
turn, so that the machine's changing load falls on all of them alike. --compare NAME=DIR
(repeatable) also serves the checkout in DIR (e.g. `git archive` of an earlier commit), for a
before/after comparison in one run, and prints what ran on the cores while the slowest 5%
waited (bench/_cpu_sampler.py). --trace serves through bench/_traced_asgi.py and prints what
those requests waited for; --pyspy records the web process with `py-spy record --idle`.

Usage: .venv/bin/python bench/gateway.py [--requests 1000] [--concurrency 20]
       [--litellm /tmp/litellm-venv]  (pip install 'litellm[proxy]' into that venv)
       [--deployment [--broker redis|embedded]] [--compare NAME=DIR] [--trace] [--pyspy PY_SPY_BIN]
Everything listens on and talks to 127.0.0.1; every server runs under `timeout`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_DB", "homeops_bench_gateway")  # before _common reads it
from _common import PYTHON, REDIS_URL, ROOT, bench_env, machine, setup_django, speed, tree_state  # noqa: E402

TOKENS = 40
CADENCE = 0.01  # seconds between tokens
LIFETIME = 1800  # every server stops by itself after this
LITELLM_KEY = "sk-unused"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_cpu(pid: int) -> float:
    """utime+stime of pid and its descendants, seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            procs[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree, grew = {pid}, True
    while grew:
        grew = False
        for p, (ppid, _) in procs.items():
            if ppid in tree and p not in tree:
                tree.add(p)
                grew = True
    return sum(cpu for p, (_, cpu) in procs.items() if p in tree)


def start(cmd: list[str], *, env: dict | None = None, log: Path, cwd: Path = ROOT) -> subprocess.Popen:
    return subprocess.Popen(
        ["timeout", "-s", "TERM", str(LIFETIME), *cmd],
        cwd=cwd,
        env=env,
        start_new_session=True,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )


def stop(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


FAKE = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
from tests.fixtures.fake_llm import FakeLLM
server = FakeLLM()
server.port = int(sys.argv[1])
server.words = ["tok%d" % i for i in range({TOKENS})]
server.token_delay = {CADENCE}
server.start()
while True:
    time.sleep(3600)
"""


async def wait_up(url: str, headers: dict) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as client:
        for _ in range(1200):  # two minutes: three servers starting at once on busy cores take a while
            try:
                async with client.get(url, headers=headers) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def chat_body(model: str) -> dict:
    return {
        "model": model,
        "messages": [{"role": "user", "content": "Count for me."}],
        "stream": True,
        "max_tokens": 100,
    }


async def stream_one(client, url: str, headers: dict, model: str) -> dict:
    """One streamed request: TTFT (first content token) in ms, or None on an error."""
    import aiohttp

    at, started = time.time(), time.perf_counter()
    first, tokens = None, 0
    try:
        async with client.post(url, json=chat_body(model), headers=headers) as response:
            if response.status != 200:
                await response.read()
                return {"at": at, "ttft": None, "tokens": 0, "seconds": time.perf_counter() - started}
            async for line in response.content:
                if not line.startswith(b"data: {"):
                    continue
                delta = (json.loads(line[6:])["choices"] or [{}])[0].get("delta", {})
                if delta.get("content"):
                    tokens += 1
                    if first is None:
                        first = (time.perf_counter() - started) * 1000
    except aiohttp.ClientError:
        first = None
    return {"at": at, "ttft": first, "tokens": tokens, "seconds": time.perf_counter() - started}


def summary(requests: list[dict], wall: float) -> dict:
    ttfts = sorted(r["ttft"] for r in requests if r["ttft"] is not None)
    return {
        "wall": wall,
        "tokens": sum(r["tokens"] for r in requests),
        "errors": sum(r["ttft"] is None for r in requests),
        "ttfts": ttfts,
        "requests": requests,
    }


async def load(base: str, headers: dict, model: str, total: int, concurrency: int) -> dict:
    """`total` streamed requests to the API at `base`, `concurrency` at a time."""
    results = await load_interleaved({"one": (base, headers, model)}, total, concurrency)
    return results["one"]


async def load_interleaved(targets: dict[str, tuple], rounds: int, concurrency: int) -> dict[str, dict]:
    """`rounds` rounds, `concurrency` at a time; a round sends one request to each target in
    turn. Throughput per target counts the time its own requests took (wall when alone)."""
    import aiohttp

    done: dict[str, list[dict]] = {name: [] for name in targets}
    remaining = rounds

    async def worker(client: aiohttp.ClientSession) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            for name, (url, headers, model) in targets.items():
                done[name].append(await stream_one(client, f"{url}/chat/completions", headers, model))

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    if len(targets) > 1:
        return {name: summary(rs, sum(r["seconds"] for r in rs) / concurrency) for name, rs in done.items()}
    return {name: summary(rs, wall) for name, rs in done.items()}


def pct(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, round(share * (len(values) - 1)))] if values else float("nan")


def uvicorn_command(app: str, port: int, app_dir: Path = ROOT) -> list[str]:
    """As bin/run serves it (one process, log level warning), from the checkout in app_dir."""
    options = ["--app-dir", str(app_dir), "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    return [str(ROOT / ".venv/bin/uvicorn"), app, *options]


# Worker and beat exactly as bin/run starts them.
CELERY = {
    "worker": ["worker", "--loglevel", "warning", "--concurrency", "2"],
    "beat": ["beat", "--loglevel", "warning"],
}


def start_deployment(env: dict, logs: Path) -> list[subprocess.Popen]:
    """The example household (as a first `make run` loads it), then a worker and beat."""
    subprocess.run(
        [PYTHON, "manage.py", "bootstrap", "--example", "--no-input"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return [
        start([str(ROOT / ".venv/bin/celery"), "-A", "homeops", *args], env=env, log=logs / f"{part}.log")
        for part, args in CELERY.items()
    ]


def child_pid(pid: int) -> int:
    """The process `timeout` runs (py-spy needs the Python process itself)."""
    for _ in range(50):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    return pid


def pids_named(name: str) -> list[int]:
    found = subprocess.run(["pgrep", "-o", "-x", name], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def start_sampler(out: Path, groups: dict[str, list[int]]) -> subprocess.Popen:
    args = [f"{name}={','.join(map(str, pids))}" for name, pids in groups.items() if pids]
    return subprocess.Popen([PYTHON, str(ROOT / "bench/_cpu_sampler.py"), str(out), "0.02", *args])


def cpu_during(samples: list, start: float, end: float) -> dict[str, float]:
    """CPU ms each group used between start and end (time.time()), from the sampler's lines,
    interpolated between the samples around each end."""
    import bisect

    times = [at for at, _ in samples]

    def at(moment: float) -> dict[str, float]:
        i = min(max(1, bisect.bisect_left(times, moment)), len(times) - 1)
        (t0, a), (t1, b) = samples[i - 1], samples[i]
        share = min(1.0, max(0.0, (moment - t0) / max(1e-9, t1 - t0)))
        return {k: a[k] + (b.get(k, a[k]) - a[k]) * share for k in a}

    first, last = at(start), at(end)
    used = {k: (last[k] - first[k]) * 1000 for k in first}
    used["others"] = used.pop("machine") - sum(used.values())  # other people's jobs, and the kernel
    return used


def print_contention(name: str, requests: list[dict], samples: list) -> None:
    """What ran on the two cores while the slowest 5% of requests waited for their first token."""
    rows = sorted((r for r in requests if r["ttft"] is not None), key=lambda r: -r["ttft"])
    tail, rest = rows[: max(1, len(rows) // 20)], rows[max(1, len(rows) // 20) :]

    def per_second(group: list[dict]) -> dict[str, float]:
        total: dict[str, float] = {}
        for r in group:
            for k, v in cpu_during(samples, r["at"], r["at"] + r["ttft"] / 1000).items():
                total[k] = total.get(k, 0.0) + v
        seconds = sum(r["ttft"] for r in group) / 1000
        return {k: v / 1000 / seconds for k, v in total.items()}  # cores busy, on average

    slow, other = per_second(tail), per_second(rest)
    print(
        f"\n[{name} cores] busy cores (of 2) while the slowest {len(tail)} waited for a first token, against the rest:"
    )
    for key in sorted(slow, key=lambda k: -slow[k]):
        print(f"  {key:10} {slow[key]:5.2f}   rest {other.get(key, 0):5.2f}")


def print_traces(name: str, path: Path, client: list[dict], shown: int = 12) -> None:
    """The server's trace of each request beside the client's TTFT, slowest first, and what
    the slowest 5% have in common against the rest."""
    traces = [json.loads(line) for line in open(path)]
    traces = traces[len(traces) - len(client) :]  # the warm-up came first
    rows = [(c["ttft"], t) for c, t in zip(client, traces, strict=True) if c["ttft"] is not None]
    rows.sort(key=lambda row: -row[0])
    tail = rows[: max(1, len(rows) // 20)]
    rest = rows[len(tail) :]
    steps = ("current", "version_check", "check_budget", "service_states", "open_stream")

    def mean(group, key):
        return sum(t.get(key, 0) for _, t in group) / max(1, len(group))

    def share(group, key):
        return sum(1 for _, t in group if t.get(key)) / max(1, len(group)) * 100

    print(
        f"\n[{name} trace] slowest {len(tail)} of {len(rows)} (client TTFT >= {tail[-1][0]:.1f} ms) against the rest:"
    )
    for key in ("first_token_ms", "runq_ms", "cpu_ms", "gc_ms", *steps):
        print(f"  {key:16} mean {mean(tail, key):8.2f} ms   rest {mean(rest, key):8.2f} ms")
    for key in ("snapshot_load", "snapshot_new_version", "states_load"):
        print(f"  {key:16} in {share(tail, key):5.1f}% of them   rest {share(rest, key):5.1f}%")
    print(
        f"  gc of generation 2 in {sum(t.get('gc_gen') == 2 for _, t in tail)} of them, rest {sum(t.get('gc_gen') == 2 for _, t in rest)}"
    )
    print(f"[{name} trace] the {shown} slowest: client TTFT | server's trace (ms)")
    for ttft, trace in rows[:shown]:
        detail = {k: v for k, v in trace.items() if k != "at" and v not in (0, -1)}
        stamp = time.strftime("%H:%M:%S", time.gmtime(trace["at"])) + f".{int(trace['at'] % 1 * 1000):03d}"
        print(f"  {stamp} {ttft:7.1f} | {json.dumps(detail)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--litellm", default="", help="a venv with litellm[proxy] installed")
    parser.add_argument("--deployment", action="store_true", help="also a Celery worker and beat, as bin/run")
    parser.add_argument("--broker", choices=("redis", "embedded"), default="redis")
    parser.add_argument(
        "--compare", action="append", default=[], metavar="NAME=DIR", help="also serve the checkout in DIR as NAME"
    )
    parser.add_argument("--trace", action="store_true", help="per-request trace (bench/_traced_asgi.py)")
    parser.add_argument("--pyspy", metavar="PY_SPY_BIN", help="py-spy record --idle the web process (this checkout's)")
    args = parser.parse_args()
    redis = {"REDIS_URL": REDIS_URL} if args.broker == "redis" else {}
    data_dir = setup_django(**redis)
    logs = Path(tempfile.mkdtemp(prefix="homeops-bench-gateway-"))
    print(f"[bench] {machine()}; {speed()}; {tree_state()}")
    interleaved = args.deployment or bool(args.compare)
    print(
        f"[bench] {args.requests} streamed requests at {args.concurrency} concurrent; {TOKENS} tokens every {CADENCE * 1000:.0f} ms"
        + (f"; with a worker and beat as bin/run, broker: {args.broker}" if args.deployment else "")
        + ("; paths interleaved" if interleaved else "")
    )

    from django.contrib.auth import get_user_model

    from apps.accounts.roles import Role
    from apps.accounts.services import groups_ensure, member_save
    from apps.gateway import services
    from apps.gateway.models import ApiKey, AuditEntry, Backend, Route, Target

    env = bench_env(data_dir, **redis)
    parts = start_deployment(env, logs) if args.deployment else []
    AuditEntry.objects.all().delete()
    Route.objects.all().delete()
    Backend.objects.all().delete()
    ApiKey.objects.all().delete()
    groups_ensure()
    user = get_user_model().objects.filter(username="bench").first() or member_save(
        username="bench", role=Role.FAMILY, password="x" * 20
    )
    fake_port, litellm_port = free_port(), free_port()
    fake = start([PYTHON, "-c", FAKE, str(fake_port)], log=logs / "fake.log")
    backend = services.backend_save(
        Backend(name="fake", kind="openai", base_url=f"http://127.0.0.1:{fake_port}/v1", timeout=30)
    )
    route = services.route_save(Route(alias="assistant"))
    services.route_set_targets(route, [Target(backend=backend, model="llama3.1:8b", max_tokens=100)])
    _, key = services.api_key_create(member=user, name="bench")
    auth = {"Authorization": f"Bearer {key}"}

    targets = {"direct": (f"http://127.0.0.1:{fake_port}/v1", {}, "llama3.1:8b", fake)}
    servers = {name: Path(tree).resolve() for name, tree in (pair.split("=", 1) for pair in args.compare)}
    servers["homeops"] = ROOT
    traces = {}
    for name, tree in servers.items():
        port = free_port()
        server_env = dict(env, PYTHONPATH=str(tree))  # that checkout's code, not this one's
        app = "homeops.asgi:application"
        if args.trace:
            traces[name] = logs / f"trace-{name}.jsonl"
            server_env.update(BENCH_TRACE=str(traces[name]), PYTHONPATH=f"{tree}:{ROOT / 'bench'}")
            app = "_traced_asgi:application"
        proc = start(uvicorn_command(app, port, tree), env=server_env, log=logs / f"uvicorn-{name}.log", cwd=tree)
        targets[name] = (f"http://127.0.0.1:{port}/v1", auth, "assistant", proc)
    litellm = None
    if args.litellm:
        config = logs / "litellm.yaml"
        config.write_text(
            "model_list:\n  - model_name: assistant\n    litellm_params:\n"
            f"      model: openai/llama3.1:8b\n      api_base: http://127.0.0.1:{fake_port}/v1\n      api_key: none\n"
            "litellm_settings:\n  telemetry: false\n"
            # With a master key but no database LiteLLM refused every request here ("No connected
            # db"), so it runs without key checks: a little less work than HomeOps does.
            "general_settings:\n  dangerously_permit_weak_or_unset_master_key: true\n"
        )
        litellm_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        litellm_env.update(LITELLM_LOG="ERROR", LITELLM_TELEMETRY="False", NO_PROXY="*")
        litellm = start(
            [
                str(Path(args.litellm) / "bin/litellm"),
                "--config",
                str(config),
                "--host",
                "127.0.0.1",
                "--port",
                str(litellm_port),
                "--num_workers",
                "1",
            ],
            env=litellm_env,
            log=logs / "litellm.log",
        )
        targets["litellm"] = (
            f"http://127.0.0.1:{litellm_port}/v1",
            {"Authorization": "Bearer none"},
            "assistant",
            litellm,
        )
    results = {}
    spy = sampler = None
    try:
        for base, headers, model, _ in targets.values():
            asyncio.run(wait_up(f"{base}/models", headers))
            asyncio.run(load(base, headers, model, 40, args.concurrency))  # warm up
        warm = AuditEntry.objects.count()
        print(f"[check] audit rows after the warm-up: {warm} (expected {40 * len(servers)} once written)", flush=True)
        if interleaved:
            if args.pyspy:
                spy_out = logs / "pyspy-homeops.txt"
                spy = subprocess.Popen(
                    [args.pyspy, "record", "--idle", "--threads", "-r", "250", "-f", "raw", "-o", str(spy_out),
                     "-p", str(child_pid(targets["homeops"][3].pid))],
                    stdout=subprocess.DEVNULL, stderr=open(logs / "pyspy.log", "w"),
                )  # fmt: skip
            groups = {name: [t[3].pid] for name, t in targets.items()}
            groups["fake"] = groups.pop("direct")
            groups.update({part: [proc.pid] for part, proc in zip(CELERY, parts, strict=False)})
            groups.update(bench=[os.getpid()], redis=pids_named("redis-server"), postgres=pids_named("postgres"))
            sampler = start_sampler(logs / "cpu.jsonl", groups)
            cpu0 = {name: proc_cpu(t[3].pid) for name, t in targets.items()}
            load0 = os.getloadavg()[0]
            plain = {name: t[:3] for name, t in targets.items()}
            results = asyncio.run(load_interleaved(plain, args.requests, args.concurrency))
            for name, result in results.items():
                result["cpu_ms"] = (proc_cpu(targets[name][3].pid) - cpu0[name]) * 1000 / args.requests
            print(f"[run] load average {load0:.2f} at the start, {os.getloadavg()[0]:.2f} at the end", flush=True)
        else:
            for name, (base, headers, model, proc) in targets.items():
                cpu0 = proc_cpu(proc.pid)
                result = asyncio.run(load(base, headers, model, args.requests, args.concurrency))
                result["cpu_ms"] = (proc_cpu(proc.pid) - cpu0) * 1000 / args.requests
                results[name] = result
                print(
                    f"[{name}] wall {result['wall']:.2f} s, {result['tokens'] / result['wall']:.0f} tokens/s, errors {result['errors']}, "
                    f"TTFT p50 {pct(result['ttfts'], 0.5):.1f} ms p95 {pct(result['ttfts'], 0.95):.1f} ms, "
                    f"server CPU {result['cpu_ms']:.2f} ms/request; load average {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
    finally:
        if sampler is not None:
            sampler.terminate()
        if spy is not None:
            spy.send_signal(2)  # py-spy writes its file on SIGINT
            spy.wait(30)
        for proc in (*parts, fake, litellm, *(t[3] for n, t in targets.items() if n not in ("direct", "litellm"))):
            if proc is not None:
                stop(proc)
    direct = results["direct"]
    base50, base95 = pct(direct["ttfts"], 0.5), pct(direct["ttfts"], 0.95)
    rate = direct["tokens"] / direct["wall"]
    print(f"\n[bench] after the run: {machine()}; {speed()}")
    print(
        "\n| through | TTFT p50 | TTFT p95 | TTFT p99 | TTFT max | added p50 | added p95 | tokens/s vs direct | server CPU per request | errors |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, result in results.items():
        p50, p95 = pct(result["ttfts"], 0.5), pct(result["ttfts"], 0.95)
        p99, top = pct(result["ttfts"], 0.99), max(result["ttfts"], default=float("nan"))
        share = result["tokens"] / result["wall"] / rate * 100
        added = "–" if name == "direct" else f"{p50 - base50:+.1f} ms"
        added95 = "–" if name == "direct" else f"{p95 - base95:+.1f} ms"
        print(
            f"| {name} | {p50:.1f} ms | {p95:.1f} ms | {p99:.1f} ms | {top:.1f} ms | {added} | {added95} | {share:.0f}% | {result['cpu_ms']:.2f} ms | {result['errors']} |"
        )
    for name, path in traces.items():
        print_traces(name, path, results[name]["requests"])
    if sampler is not None:
        samples = [json.loads(line) for line in open(logs / "cpu.jsonl")]
        for name in results:
            print_contention(name, results[name]["requests"], samples)
    if spy is not None:
        summarise_pyspy(spy_out)
    audited = AuditEntry.objects.filter(status=200).count()
    expected = (args.requests + 40) * len(servers)
    print(f"\n[check] audit rows written for the gateway's answers: {audited} (expected {expected})")
    print(f"[logs] {logs}")


def summarise_pyspy(path: Path, top: int = 25) -> None:
    """py-spy raw output (collapsed stacks) of the event loop's thread: the share of its
    samples inside each function, idle (waiting in select) included."""
    import collections

    inclusive: collections.Counter = collections.Counter()
    total = 0
    for line in open(path):
        stack, _, count = line.rstrip().rpartition(" ")
        frames = stack.split(";")
        if "MainThread" not in frames[0] and "process" not in frames[0]:
            continue
        total += int(count)
        for frame in set(frames[1:]):
            inclusive[frame] += int(count)
    print(f"\n[py-spy] event loop thread: {total} samples; the functions in the most of them:")
    for frame, count in inclusive.most_common(top):
        print(f"  {count / max(1, total) * 100:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
