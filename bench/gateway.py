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

Usage: .venv/bin/python bench/gateway.py [--requests 1000] [--concurrency 20]
       [--litellm /tmp/litellm-venv]  (pip install 'litellm[proxy]' into that venv)
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
from _common import PYTHON, REDIS_URL, ROOT, bench_env, machine, setup_django, tree_state  # noqa: E402

TOKENS = 40
CADENCE = 0.01  # seconds between tokens
LIFETIME = 600  # every server stops by itself after this
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


def start(cmd: list[str], *, env: dict | None = None, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        ["timeout", "-s", "TERM", str(LIFETIME), *cmd],
        cwd=ROOT,
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
        for _ in range(300):
            try:
                async with client.get(url, headers=headers) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def load(url: str, headers: dict, model: str, total: int, concurrency: int) -> dict:
    """`total` streamed requests, `concurrency` at a time; TTFT = first content token."""
    import aiohttp

    body = {
        "model": model,
        "messages": [{"role": "user", "content": "Count for me."}],
        "stream": True,
        "max_tokens": 100,
    }
    ttfts, tokens, errors = [], 0, 0
    remaining = total

    async def one(client: aiohttp.ClientSession) -> None:
        nonlocal tokens, errors
        started = time.perf_counter()
        first = None
        try:
            async with client.post(url, json=body, headers=headers) as response:
                if response.status != 200:
                    errors += 1
                    await response.read()
                    return
                async for line in response.content:
                    if not line.startswith(b"data: {"):
                        continue
                    delta = (json.loads(line[6:])["choices"] or [{}])[0].get("delta", {})
                    if delta.get("content"):
                        tokens += 1
                        if first is None:
                            first = time.perf_counter() - started
        except aiohttp.ClientError:
            errors += 1
            return
        if first is not None:
            ttfts.append(first * 1000)

    async def worker(client: aiohttp.ClientSession) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await one(client)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    ttfts.sort()
    return {"wall": wall, "tokens": tokens, "errors": errors, "ttfts": ttfts}


def pct(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, round(share * (len(values) - 1)))] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--litellm", default="", help="a venv with litellm[proxy] installed")
    args = parser.parse_args()
    data_dir = setup_django(REDIS_URL=REDIS_URL)
    logs = Path(tempfile.mkdtemp(prefix="homeops-bench-gateway-"))
    print(f"[bench] {machine()}; {tree_state()}")
    print(
        f"[bench] {args.requests} streamed requests at {args.concurrency} concurrent; {TOKENS} tokens every {CADENCE * 1000:.0f} ms"
    )

    from django.contrib.auth import get_user_model

    from apps.accounts.roles import Role
    from apps.accounts.services import groups_ensure, member_save
    from apps.gateway import services
    from apps.gateway.models import ApiKey, AuditEntry, Backend, Route, Target

    AuditEntry.objects.all().delete()
    Route.objects.all().delete()
    Backend.objects.all().delete()
    ApiKey.objects.all().delete()
    groups_ensure()
    user = get_user_model().objects.filter(username="bench").first() or member_save(
        username="bench", role=Role.FAMILY, password="x" * 20
    )
    fake_port, homeops_port, litellm_port = free_port(), free_port(), free_port()
    fake = start([PYTHON, "-c", FAKE, str(fake_port)], log=logs / "fake.log")
    backend = services.backend_save(
        Backend(name="fake", kind="openai", base_url=f"http://127.0.0.1:{fake_port}/v1", timeout=30)
    )
    route = services.route_save(Route(alias="assistant"))
    services.route_set_targets(route, [Target(backend=backend, model="llama3.1:8b", max_tokens=100)])
    _, key = services.api_key_create(member=user, name="bench")

    env = bench_env(data_dir, REDIS_URL=REDIS_URL)
    homeops = start(
        [
            str(ROOT / ".venv/bin/uvicorn"),
            "homeops.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(homeops_port),
            "--log-level",
            "warning",
        ],
        env=env,
        log=logs / "uvicorn.log",
    )
    targets = {
        "direct": (f"http://127.0.0.1:{fake_port}/v1", {}, "llama3.1:8b", fake),
        "homeops": (f"http://127.0.0.1:{homeops_port}/v1", {"Authorization": f"Bearer {key}"}, "assistant", homeops),
    }
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
    try:
        for name, (base, headers, model, proc) in targets.items():
            asyncio.run(wait_up(f"{base}/models", headers))
            asyncio.run(load(f"{base}/chat/completions", headers, model, 40, args.concurrency))  # warm up
            cpu0 = proc_cpu(proc.pid)
            result = asyncio.run(load(f"{base}/chat/completions", headers, model, args.requests, args.concurrency))
            result["cpu_ms"] = (proc_cpu(proc.pid) - cpu0) * 1000 / args.requests
            results[name] = result
            print(
                f"[{name}] wall {result['wall']:.2f} s, {result['tokens'] / result['wall']:.0f} tokens/s, errors {result['errors']}, "
                f"TTFT p50 {pct(result['ttfts'], 0.5):.1f} ms p95 {pct(result['ttfts'], 0.95):.1f} ms, "
                f"server CPU {result['cpu_ms']:.2f} ms/request; load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    finally:
        for proc in (homeops, fake, litellm):
            if proc is not None:
                stop(proc)
    direct = results["direct"]
    base50, base95 = pct(direct["ttfts"], 0.5), pct(direct["ttfts"], 0.95)
    rate = direct["tokens"] / direct["wall"]
    print(
        "\n| through | TTFT p50 | TTFT p95 | added p50 | added p95 | tokens/s vs direct | server CPU per request | errors |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, result in results.items():
        p50, p95 = pct(result["ttfts"], 0.5), pct(result["ttfts"], 0.95)
        share = result["tokens"] / result["wall"] / rate * 100
        added = "–" if name == "direct" else f"{p50 - base50:+.1f} ms"
        added95 = "–" if name == "direct" else f"{p95 - base95:+.1f} ms"
        print(
            f"| {name} | {p50:.1f} ms | {p95:.1f} ms | {added} | {added95} | {share:.0f}% | {result['cpu_ms']:.2f} ms | {result['errors']} |"
        )
    audited = AuditEntry.objects.filter(status=200).count()
    print(f"\n[check] audit rows written for the gateway's answers: {audited} (expected {args.requests + 40})")
    print(f"[logs] {logs}")


if __name__ == "__main__":
    main()
