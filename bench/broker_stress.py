"""Stress the embedded broker: one producer process and N consumer processes move messages
through one queue folder at full speed; every message must arrive exactly once and whole.

    .venv/bin/python bench/broker_stress.py [--messages 100000] [--consumers 1] [--transport homeops|kombu]

`--transport kombu` runs kombu's own filesystem transport the same way, for the record: it is
the one that read messages empty (issue 9). Prints messages/s, lost, duplicated and unreadable
counts, and exits non-zero if any message was lost, duplicated or unreadable. Everything
stays in a temporary folder; the loops are bounded by the message count and a deadline.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TRANSPORTS = {"homeops": "homeops.broker:Transport", "kombu": "kombu.transport.filesystem:Transport"}
DEADLINE_SECONDS = 900


def connection(transport: str, folder: str):
    from kombu import Connection

    options = {
        "data_folder_in": f"{folder}/queue",
        "data_folder_out": f"{folder}/queue",
        "control_folder": f"{folder}/control",
    }
    return Connection("filesystem://", transport=TRANSPORTS[transport], transport_options=options)


def produce(transport: str, folder: str, count: int, done: mp.Event) -> None:
    with connection(transport, folder) as conn:
        queue = conn.SimpleQueue("stress")
        for n in range(count):
            queue.put({"n": n, "pad": "x" * 200})
    done.set()


def consume(transport: str, folder: str, results: mp.Queue, produced: mp.Event, total: int, taken: mp.Value) -> None:
    seen: list[int] = []
    unreadable = 0
    deadline = time.monotonic() + DEADLINE_SECONDS
    with connection(transport, folder) as conn:
        queue = conn.SimpleQueue("stress")
        while time.monotonic() < deadline:
            try:
                message = queue.get_nowait()
            except queue.Empty:
                if produced.is_set() and taken.value >= total:
                    break
                if produced.is_set() and queue.qsize() == 0:
                    time.sleep(0.2)  # let the last renames settle, then look once more
                    if queue.qsize() == 0:
                        break
                time.sleep(0.001)
                continue
            except Exception as exc:  # kombu's transport raises on an empty file; count it, go on
                unreadable += 1
                if unreadable <= 3:
                    print(f"  consumer: unreadable message: {exc!r}", flush=True)
                continue
            message.ack()
            seen.append(message.payload["n"])
            with taken.get_lock():
                taken.value += 1
    results.put((seen, unreadable))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--consumers", type=int, default=1)
    parser.add_argument("--transport", choices=sorted(TRANSPORTS), default="homeops")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="homeops-broker-stress-")
    for sub in ("queue", "control"):
        Path(folder, sub).mkdir()
    produced, results, taken = mp.Event(), mp.Queue(), mp.Value("l", 0)
    consumers = [
        mp.Process(target=consume, args=(args.transport, folder, results, produced, args.messages, taken))
        for _ in range(args.consumers)
    ]
    producer = mp.Process(target=produce, args=(args.transport, folder, args.messages, produced))
    started = time.perf_counter()
    for process in (*consumers, producer):
        process.start()
    outcomes = [results.get(timeout=DEADLINE_SECONDS + 60) for _ in consumers]
    elapsed = time.perf_counter() - started
    for process in (*consumers, producer):
        process.join(timeout=10)

    received = [n for seen, _ in outcomes for n in seen]
    unreadable = sum(bad for _, bad in outcomes)
    unique = set(received)
    lost = args.messages - len(unique)
    duplicated = len(received) - len(unique)
    left = len(list(Path(folder, "queue").iterdir()))
    print(
        f"{args.transport}: {args.messages:,} messages, 1 producer, {args.consumers} consumer(s): "
        f"{elapsed:.1f} s ({args.messages / elapsed:,.0f}/s end to end); "
        f"lost {lost}, duplicated {duplicated}, unreadable {unreadable}, files left {left}"
    )
    return 0 if lost == duplicated == unreadable == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
