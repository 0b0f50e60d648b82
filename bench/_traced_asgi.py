"""homeops.asgi:application with a per-request trace of /v1, for gateway.py --trace.

Served instead of homeops.asgi:application; the gateway's code is unchanged, only wrapped.
Each streamed request appends one JSON line to $BENCH_TRACE: when it arrived (time.time()),
the server's time to the first content token, how long each step before it took, and what
the process did meanwhile:
  runq_ms   time the event loop's thread was runnable but waiting for a core
            (/proc/self/task/<tid>/schedstat, field 2): CPU contention;
  cpu_ms    CPU the event loop's thread used (field 1);
  gc_ms     garbage collection pauses (gc.callbacks), and the oldest generation collected;
  reloads   snapshot loads (snapshot.load) and status-board reads (snapshot._load_states).
Measurement only: a request pays a few microseconds for it.
"""

from __future__ import annotations

import contextvars
import gc
import json
import os
import threading
import time

from homeops.asgi import application as homeops_application

TRACE_PATH = os.environ["BENCH_TRACE"]  # before the apps' imports: Django must be set up first

from apps.gateway import policy, snapshot, upstream  # noqa: E402

_trace: contextvars.ContextVar[dict | None] = contextvars.ContextVar("bench_trace", default=None)
_main_tid = threading.get_native_id()  # uvicorn imports the app on the event loop's thread
_gc = {"ms": 0.0, "gen": -1, "started": 0.0}
_out = open(TRACE_PATH, "a", buffering=1)


def _schedstat() -> tuple[float, float]:
    """(on CPU, waiting for a CPU) of the event loop's thread, milliseconds."""
    with open(f"/proc/self/task/{_main_tid}/schedstat") as f:
        running, waiting, _ = f.read().split()
    return int(running) / 1e6, int(waiting) / 1e6


def _on_gc(phase: str, info: dict) -> None:
    if threading.get_native_id() != _main_tid:
        return  # only pauses of the loop's thread delay a token directly
    if phase == "start":
        _gc["started"] = time.perf_counter()
    else:
        _gc["ms"] += (time.perf_counter() - _gc["started"]) * 1000
        _gc["gen"] = max(_gc["gen"], info["generation"])


gc.callbacks.append(_on_gc)


def _step(trace: dict, name: str, since: float) -> None:
    trace[name] = round(trace.get(name, 0.0) + (time.perf_counter() - since) * 1000, 3)


def _timed_async(module, name: str) -> None:
    original = getattr(module, name)

    async def timed(*args, **kwargs):
        trace, started = _trace.get(), time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            if trace is not None and "first_token_ms" not in trace:
                _step(trace, name, started)

    setattr(module, name, timed)


def _counted(module, name: str, counter: str) -> None:
    original = getattr(module, name)

    def counted(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            took = (time.perf_counter() - started) * 1000
            with _lock:
                _reloads[counter] = _reloads.get(counter, 0) + 1
                _reloads[counter + "_ms"] = round(_reloads.get(counter + "_ms", 0.0) + took, 3)

    setattr(module, name, counted)


_lock = threading.Lock()
_reloads: dict[str, float] = {}
for _module, _name in (
    (snapshot, "current"),
    (snapshot, "service_states"),
    (policy, "check_budget"),
    (upstream, "open_stream"),
):
    _timed_async(_module, _name)
_counted(snapshot, "_load_states", "states_load")
_original_version = snapshot._shared_version
_original_load = snapshot.load
_loaded_version: list[str | None] = ["(none yet)"]


def _load(version):
    """A load for a new version (something bumped it) or for the same one (MAX_AGE passed)."""
    if version != _loaded_version[0]:
        with _lock:
            _reloads["snapshot_new_version"] = _reloads.get("snapshot_new_version", 0) + 1
    _loaded_version[0] = version
    return _original_load(version)


snapshot.load = _load
_counted(snapshot, "load", "snapshot_load")


def _shared_version():
    started = time.perf_counter()
    try:
        return _original_version()
    finally:
        trace = _trace.get()
        if trace is not None and "first_token_ms" not in trace:
            _step(trace, "version_check", started)


snapshot._shared_version = _shared_version


async def application(scope, receive, send):
    if scope["type"] != "http" or scope["path"] != "/v1/chat/completions":
        return await homeops_application(scope, receive, send)
    started = time.perf_counter()
    trace = {"at": time.time()}
    run0, wait0 = _schedstat()
    gc0 = _gc["ms"]
    _gc["gen"] = -1
    with _lock:
        reloads0 = dict(_reloads)
    _trace.set(trace)

    async def traced_send(message):
        body = message.get("body", b"") if message.get("type") == "http.response.body" else b""
        if "first_token_ms" not in trace and b'"content":"tok' in body:
            trace["first_token_ms"] = round((time.perf_counter() - started) * 1000, 3)
            run1, wait1 = _schedstat()
            trace["cpu_ms"] = round(run1 - run0, 3)
            trace["runq_ms"] = round(wait1 - wait0, 3)
            trace["gc_ms"] = round(_gc["ms"] - gc0, 3)
            trace["gc_gen"] = _gc["gen"]
            with _lock:
                for key, value in _reloads.items():
                    if value != reloads0.get(key, 0):
                        trace[key] = round(value - reloads0.get(key, 0), 3)
        return await send(message)

    try:
        return await homeops_application(scope, receive, traced_send)
    finally:
        _out.write(json.dumps(trace) + "\n")
