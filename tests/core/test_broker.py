"""The embedded broker (homeops/broker.py, used when REDIS_URL is unset) between real
processes: kombu's own filesystem transport read messages empty under a put/get race and
the worker died of it (issue 9). bench/broker_stress.py is the same at 100,000 messages."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from homeops.broker import Transport

ROOT = Path(__file__).resolve().parents[2]
PRODUCERS = 2
PER_PRODUCER = 1500


def embedded_env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "HOMEOPS_DATA_DIR": str(data_dir), "DEBUG": "false"}
    for name in ("REDIS_URL", "DATABASE_URL"):
        env.pop(name, None)  # the embedded defaults: SQLite and the file broker
    return env


PRODUCE = """
import sys
from homeops.celery import app
path, start, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for n in range(start, start + count):
    app.send_task("tests.broker_record", args=[path, n, "x" * 2_000])
"""


@pytest.mark.worker
def test_a_real_worker_gets_every_message_while_two_processes_send_at_full_speed(tmp_path):
    env = embedded_env(tmp_path / "data")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    out = tmp_path / "received.txt"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "homeops", "worker", "-I", "tests.fixtures.broker_tasks"]
        + ["--concurrency", "2", "--loglevel", "warning", "--without-mingle", "--without-gossip"],
        cwd=ROOT,
        env=env,
    )
    try:
        producers = [
            subprocess.Popen(
                [sys.executable, "-c", PRODUCE, str(out), str(i * PER_PRODUCER), str(PER_PRODUCER)], cwd=ROOT, env=env
            )
            for i in range(PRODUCERS)
        ]
        for producer in producers:
            assert producer.wait(timeout=120) == 0
        expected = PRODUCERS * PER_PRODUCER
        deadline = time.monotonic() + 120
        lines: list[str] = []
        while time.monotonic() < deadline and worker.poll() is None:
            lines = out.read_text().split() if out.exists() else []
            if len(lines) >= expected:
                break
            time.sleep(0.5)
        assert worker.poll() is None, "the worker died"
        assert sorted(map(int, lines)) == list(range(expected))
        assert not list((tmp_path / "data" / "broker" / "bad").glob("*"))
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_one_producer_and_two_consumers_at_full_speed_lose_and_double_nothing():
    """bench/broker_stress.py at a smaller scale: kombu's own transport read about one message
    in twelve empty this way (run it with --transport kombu)."""
    result = subprocess.run(
        [sys.executable, "bench/broker_stress.py", "--messages", "4000", "--consumers", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lost 0, duplicated 0, unreadable 0, files left 0" in result.stdout


def _channel(folder: Path):
    """A connection to the queue folder in `folder`, with bindings of its own: kombu keeps
    them per transport class, per process, which suits one folder per process (production)."""
    from kombu import Connection
    from kombu.transport.virtual import BrokerState

    options = {"data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue")}
    options["control_folder"] = str(folder / "control")
    (folder / "queue").mkdir(parents=True, exist_ok=True)
    transport = type("TestTransport", (Transport,), {"global_state": BrokerState()})
    return Connection("filesystem://", transport=transport, transport_options=options)


def test_a_message_that_cannot_be_read_is_set_aside_and_the_next_one_arrives(tmp_path):
    with _channel(tmp_path) as conn:
        queue = conn.SimpleQueue("q")
        (tmp_path / "queue" / "00000000000000000001_bad.q.msg").write_bytes(b"")
        queue.put({"n": 1})
        message = queue.get_nowait()
        assert message.payload == {"n": 1}
        assert [p.name for p in (tmp_path / "bad").iterdir()] == ["00000000000000000001_bad.q.msg"]


def test_messages_come_out_in_the_order_they_were_sent_and_a_backlog_lists_once(tmp_path):
    with _channel(tmp_path) as conn:
        queue = conn.SimpleQueue("q")
        for n in range(50):
            queue.put({"n": n})
        assert [queue.get_nowait().payload["n"] for _ in range(50)] == list(range(50))
        with pytest.raises(queue.Empty):
            queue.get_nowait()
        assert not list((tmp_path / "queue").iterdir())
        assert not list((tmp_path / "claimed").iterdir())


def test_two_processes_binding_to_one_exchange_both_land(tmp_path):
    with _channel(tmp_path) as one, _channel(tmp_path) as two:
        one.default_channel._queue_bind("fan", "", "", "a")
        two.default_channel._queue_bind("fan", "", "", "b")
        assert sorted(row.queue for row in one.default_channel.get_table("fan")) == ["a", "b"]
        one.default_channel._delete("a", "fan", "", "")
        assert [row.queue for row in two.default_channel.get_table("fan")] == ["b"]
