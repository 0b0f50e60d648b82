"""The household's words, shared by every app that writes a sentence for people: status
messages, alerts, the gateway's notices. One copy, so they read the same everywhere."""

from __future__ import annotations

import errno
import socket
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


def connect_failure(error: BaseException | None) -> str:
    """Why a connection failed, in words a family member can read ("could not be found on the
    network (the name does not resolve)"), never "[Errno -2] Name or service not known". Takes
    the socket error, or any error raised because of one (aiohttp's ClientConnectorError keeps
    it in os_error, httpx's ConnectError in its cause): the board and the gateway say the same."""
    for _ in range(10):  # down the chain of causes to the socket's own error
        if error is None or (isinstance(error, OSError) and getattr(error, "os_error", None) is None):
            break
        error = getattr(error, "os_error", None) or error.__cause__ or error.__context__
    if isinstance(error, ConnectionRefusedError):
        return "refused the connection (nothing is listening there)"
    if isinstance(error, socket.gaierror):
        return "could not be found on the network (the name does not resolve)"
    if isinstance(error, TimeoutError):
        return "did not answer the connection"
    if isinstance(error, OSError) and error.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "is unreachable on the network"
    return "could not be reached"
