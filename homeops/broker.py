"""The embedded broker: kombu's filesystem transport made safe between processes.

Used when REDIS_URL is unset, so that `make run` needs nothing but Python. kombu 5.7's own
filesystem transport lost and crashed on messages under load (docs/architecture.md, "The
embedded broker"): `_put` creates the message file before it locks and writes it, and `_get`
reads without the lock, so a reader can find an empty file (JSONDecodeError: the worker
died); `_get` also moves claimed files to the system temp dir, which is another file system
on most machines, where a move is a copy that two readers can both make.

Here every step that others can see is one atomic rename within one folder tree:
- put: write the message under tmp/, fsync-free (a trial install), then rename it into queue/;
  a reader never sees a file that is not whole.
- get: rename the oldest file of the queue into claimed/; exactly one process wins the
  rename, the others get FileNotFoundError and try the next file. Then read and delete it.
- exchange tables (fanout bindings) are rewritten the same way, so a reader never sees half.
A file that still cannot be read as a message is moved to bad/ and logged, never raised:
one bad file must not stop the worker.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections import deque
from pathlib import Path
from queue import Empty
from typing import Any

from kombu.transport import filesystem, virtual
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Names seen by the last listing, per queue, oldest first: a backlog of N messages
        # costs one listing per N gets instead of one per get.
        self._pending: dict[str, deque[str]] = {}

    # -- folders -------------------------------------------------------------------------
    @property
    def _root(self) -> Path:
        return Path(self.data_folder_in).parent

    def _folder(self, name: str) -> Path:
        path = self._root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _write_atomically(self, target: Path, data: bytes) -> None:
        tmp = self._folder("tmp") / f"{uuid.uuid4().hex}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)  # same file system: atomic

    # -- messages --------------------------------------------------------------------------
    # kombu's own filesystem Channel has these two signatures; its stub ignores the same mismatch with virtual's.
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        # Wall-clock nanoseconds, zero-padded, so that names sort in sending order across
        # processes and across reboots (kombu used the monotonic clock, which restarts at boot).
        name = f"{time.time_ns():020d}_{uuid.uuid4().hex}.{queue}.msg"
        self._write_atomically(Path(self.data_folder_out) / name, dumps(payload).encode())

    def _list(self) -> None:
        self._pending = {}
        for name in sorted(os.listdir(self.data_folder_in)):
            stem, _, suffix = name.partition(".")
            if suffix.endswith(".msg") and stem:
                self._pending.setdefault(suffix[: -len(".msg")], deque()).append(name)

    def _get(self, queue: str) -> Any:  # type: ignore[override]
        for attempt in range(2):
            pending = self._pending.get(queue)
            if not pending:
                if attempt:
                    break
                self._list()
                continue
            while pending:
                message = self._claim(pending.popleft())
                if message is not None:
                    return message
        raise Empty()

    def _claim(self, name: str) -> Any:
        """The message in `name`, or None when another process claimed it first or it is bad."""
        claimed = self._folder("claimed") / name
        try:
            os.rename(Path(self.data_folder_in) / name, claimed)
        except FileNotFoundError:
            return None
        try:
            payload = claimed.read_bytes()
            message = loads(payload)
        except (OSError, ValueError) as exc:
            log.error("The embedded broker set aside an unreadable message %s: %s", name, exc)
            os.replace(claimed, self._folder("bad") / name)
            return None
        claimed.unlink()
        return message

    def _size(self, queue: str) -> int:
        return sum(1 for name in os.listdir(self.data_folder_in) if name.endswith(f".{queue}.msg"))

    def _purge(self, queue: str) -> int:
        self._pending.pop(queue, None)
        count = 0
        for name in os.listdir(self.data_folder_in):
            if name.endswith(f".{queue}.msg"):
                try:
                    os.remove(Path(self.data_folder_in) / name)
                    count += 1
                except FileNotFoundError:
                    pass
        return count

    # -- exchange tables (fanout, Celery's remote control) ----------------------------------
    def get_table(self, exchange: str) -> list:
        try:
            rows = json.loads(self._exchange_file(exchange).read_bytes() or b"[]")  # type: ignore[attr-defined]
        except FileNotFoundError:
            return []
        return [filesystem.exchange_queue_t(*row) for row in rows]

    def _rewrite_table(self, exchange: str, change: Any) -> None:
        """Read, change and replace an exchange table under an exclusive lock on a side file,
        so two processes binding at once both land."""
        # _exchange_file and LOCK_EX are in kombu 5.7 but missing from its stub (celery-types).
        file: Path = self._exchange_file(exchange)  # type: ignore[attr-defined]
        file.parent.mkdir(parents=True, exist_ok=True)
        with open(file.with_suffix(".lock"), "a") as lock_file:
            filesystem.lock(lock_file, filesystem.LOCK_EX)  # type: ignore[attr-defined]
            try:
                rows = self.get_table(exchange)
                new_rows = change(rows)
                if new_rows != rows:
                    self._write_atomically(file, dumps(new_rows).encode())
            finally:
                filesystem.unlock(lock_file)

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str | None, queue: str) -> None:
        row = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        self._rewrite_table(exchange, lambda rows: rows if row in rows else [row, *rows])

    def _delete(self, queue: str, exchange: str, routing_key: str, pattern: str, *args: Any, **kwargs: Any) -> None:
        super(filesystem.Channel, self)._delete(queue, exchange, routing_key, pattern, *args, **kwargs)
        row = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        self._rewrite_table(exchange, lambda rows: [r for r in rows if r != row])


class Transport(filesystem.Transport):
    Channel = Channel
    global_state = virtual.BrokerState()
