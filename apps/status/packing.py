"""How check history is packed: one row per service-hour of raw results (ResultHour) and one
row per service-day of hourly figures (Rollup.hours). Pure functions, no ORM: rollups.py
writes these formats, history.py reads them, migration 0004 converts older rows with them.

One row per check cost ~165 B in Postgres (a 24 B tuple header, a line pointer and index
entries around ~60 B of data); one row per hour or per day pays that overhead once
(bench/README.md, section 3). Both formats are zlib-compressed columns of little-endian
`struct` values, the same bytes in a Postgres bytea and an SQLite blob. Columns, because a
column of counts or of seconds between checks repeats itself and compresses to almost
nothing; what remains is mostly the latencies.

Raw results of one service-hour (ResultHour.checks), n checks in time order: n seconds since
the previous check (the first: since the hour's start) as uint16, n outcome codes (OUTCOMES)
as uint8, n latencies in ms as float32 (NaN: none), n indexes into ResultHour.messages as
uint16. The messages are a JSON list of the hour's distinct texts; in a text NUL stands for
the check's own latency as the message printed it ("answered 200 in \\0 ms"), so an hour of
changing latencies keeps a single text.

Hourly figures of one day (Rollup.hours), one slot per UTC hour from the day's first: the up,
degraded and down counts as uint16 (anything not up or degraded counts as down), then p50,
p95 and max latency in seconds as float16 (NaN: none). float16 keeps 3 significant digits
from 0.1 ms to 18 hours: plenty for percentiles, at half the bytes of float32.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple

from django.utils import timezone

HOUR = timedelta(hours=1)
# Stored as their index: append new outcomes, never reorder.
OUTCOMES = ("up", "degraded", "down", "unreachable", "paused", "unknown")
CODES = {name: code for code, name in enumerate(OUTCOMES)}
CHECK_COLUMNS = "HBfH"  # gap in seconds, outcome, latency (ms), message index
FIGURE_COLUMNS = "HHHeee"  # up, degraded, down, p50, p95, max (s)
LATENCY = "\0"  # in a stored message: the check's latency, as f"{latency:.0f}"
COUNT_MAX = 0xFFFF
FLOAT16_MAX = 65504.0


class Check(NamedTuple):
    at: datetime
    outcome: str
    latency_ms: float | None
    message: str = ""


class Figures(NamedTuple):
    """One hour's (or one day's) rollup."""

    up: int
    degraded: int
    down: int
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None

    @property
    def checks(self) -> int:
        return self.up + self.degraded + self.down


def hour_of(moment: datetime) -> datetime:
    """The UTC hour a moment falls in (UTC first: some zones are half an hour off)."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def day_start(moment: datetime) -> datetime:
    """Local midnight (TIME_ZONE) of the day a moment falls in, as a UTC instant."""
    local = timezone.localtime(moment)
    return datetime.combine(local.date(), time(), tzinfo=local.tzinfo).astimezone(UTC)


def ceil_hour(moment: datetime) -> datetime:
    hour = hour_of(moment)
    return hour if hour == moment else hour + HOUR


def slot_of(hour: datetime, start: datetime) -> int:
    """Index of a UTC hour in its day's row, counted from the day's first whole UTC hour (a day
    has 23 or 25 around a DST change; in some zones it starts at half past an hour)."""
    return (hour - ceil_hour(start)) // HOUR


def slot_hour(start: datetime, index: int) -> datetime:
    """The UTC hour that slot `index` of the day starting at `start` holds."""
    return ceil_hour(start) + index * HOUR


# --- raw results of one service-hour ---------------------------------------------------------


def _float32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


def _template(message: str, latency: float | None) -> str:
    message = message.replace(LATENCY, "")  # Postgres text cannot hold NUL anyway
    if latency is None:
        return message
    shown = f" {latency:.0f} ms"
    head, found, tail = message.rpartition(shown)
    return f"{head} {LATENCY} ms{tail}" if found else message


def _columns(formats: str, rows: list[tuple]) -> bytes:
    if not rows:
        return b""
    n = len(rows)
    columns = zip(*rows, strict=True)
    data = b"".join(struct.pack(f"<{n}{f}", *column) for f, column in zip(formats, columns, strict=True))
    return zlib.compress(data, 9)


def _rows(formats: str, data: bytes | None) -> list[tuple]:
    if not data:
        return []
    raw = zlib.decompress(data)
    n = len(raw) // struct.calcsize("<" + formats)
    columns, offset = [], 0
    for f in formats:
        columns.append(struct.unpack_from(f"<{n}{f}", raw, offset))
        offset += struct.calcsize(f"<{n}{f}")
    return list(zip(*columns, strict=True))


def pack_checks(hour: datetime, checks: Iterable[Check]) -> tuple[bytes, str]:
    """(ResultHour.checks, ResultHour.messages) for checks inside `hour`, kept in time order."""
    texts: dict[str, int] = {}
    rows = []
    previous = 0
    for check in sorted(checks, key=lambda c: c.at):
        latency = None if check.latency_ms is None else _float32(check.latency_ms)
        index = texts.setdefault(_template(check.message, latency), len(texts))
        second = min(3599, max(previous, int((check.at - hour).total_seconds())))
        rows.append((second - previous, CODES[check.outcome], math.nan if latency is None else latency, index))
        previous = second
    return _columns(CHECK_COLUMNS, rows), json.dumps(list(texts), ensure_ascii=False, separators=(",", ":"))


def unpack_checks(hour: datetime, data: bytes, messages: str | None) -> list[Check]:
    """The checks of one packed hour, at whole seconds. messages=None skips the texts
    (sparklines and counts need none)."""
    texts = json.loads(messages) if messages is not None else None
    out = []
    second = 0
    for gap, code, latency, index in _rows(CHECK_COLUMNS, data):
        second += gap
        ms = None if math.isnan(latency) else latency
        text = ""
        if texts is not None:
            text = texts[index]
            if ms is not None and LATENCY in text:
                text = text.replace(LATENCY, f"{ms:.0f}")
        out.append(Check(hour + timedelta(seconds=second), OUTCOMES[code], ms, text))
    return out


# --- hourly figures of one service-day -------------------------------------------------------


def _percentile(sorted_values: list[float], share: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


def summarise(checks: list[Check]) -> Figures:
    """One hour's figures from its checks."""
    up = sum(1 for c in checks if c.outcome == "up")
    degraded = sum(1 for c in checks if c.outcome == "degraded")
    latency = sorted(c.latency_ms for c in checks if c.latency_ms is not None)
    return Figures(
        up=up,
        degraded=degraded,
        # UNREACHABLE counts as down for uptime: the service could not be used.
        down=len(checks) - up - degraded,
        p50_ms=_percentile(latency, 0.5),
        p95_ms=_percentile(latency, 0.95),
        max_ms=latency[-1] if latency else None,
    )


def day_totals(hours: list[Figures | None]) -> Figures:
    """A day's figures from its hours. Its p50 is the median hourly p50; its p95 the worst
    hourly p95 (conservative)."""
    filled = [h for h in hours if h is not None]
    p50s = sorted(h.p50_ms for h in filled if h.p50_ms is not None)
    return Figures(
        up=sum(h.up for h in filled),
        degraded=sum(h.degraded for h in filled),
        down=sum(h.down for h in filled),
        p50_ms=_percentile(p50s, 0.5),
        p95_ms=max((h.p95_ms for h in filled if h.p95_ms is not None), default=None),
        max_ms=max((h.max_ms for h in filled if h.max_ms is not None), default=None),
    )


def _seconds(ms: float | None) -> float:
    return math.nan if ms is None else min(ms / 1000, FLOAT16_MAX)


def _ms(seconds: float) -> float | None:
    return None if math.isnan(seconds) else float(f"{seconds * 1000:.4g}")


def pack_hours(hours: list[Figures | None]) -> bytes:
    """Rollup.hours for a day's slots (None: no checks that hour)."""
    rows: list[tuple[float, ...]] = []
    for h in hours:
        if h is None:
            rows.append((0, 0, 0, math.nan, math.nan, math.nan))
        else:
            counts = [min(COUNT_MAX, n) for n in (h.up, h.degraded, h.down)]
            rows.append((*counts, _seconds(h.p50_ms), _seconds(h.p95_ms), _seconds(h.max_ms)))
    return _columns(FIGURE_COLUMNS, rows)


def unpack_hours(data: bytes | None) -> list[Figures | None]:
    out: list[Figures | None] = []
    for up, degraded, down, p50, p95, top in _rows(FIGURE_COLUMNS, data):
        empty = up == degraded == down == 0
        out.append(None if empty else Figures(up, degraded, down, _ms(p50), _ms(p95), _ms(top)))
    return out
