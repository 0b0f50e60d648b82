"""The household's words, shared by every app that writes a sentence for people: status
messages, alerts, the gateway's notices. One copy, so they read the same everywhere."""

from __future__ import annotations

from datetime import timedelta


def and_list(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c" (no serial comma, as the rest of the portal writes)."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(count: int, word: str) -> str:
    """ "1 model", "3 models"."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def duration(delta: timedelta) -> str:
    """How long, in words: "less than a minute", "5 minutes", "2 hours 3 minutes", "3 days"."""
    minutes = max(0, round(delta.total_seconds() / 60))
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return plural(minutes, "minute")
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{plural(hours, 'hour')} {plural(rest, 'minute')}" if rest else plural(hours, "hour")
    return f"{round(hours / 24)} days"
