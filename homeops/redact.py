"""Secrets out of the logs, at every level and from every logger.

`RedactSecrets` is the one logging filter; settings.LOGGING puts it on the handler every
record reaches (the web server's, and the worker's and beat's: homeops/celery.py makes them
log through settings.LOGGING instead of Celery's own handlers). It removes:
- every secret value the portal has read, by name or from the database: `remember()` is
  called where they are read (homeops/env.py `secret()`, SECRET_KEY, a channel's URL
  variable, a check's `api_key_env`/`password_env`, a backend's key, decrypted or from
  its variable), so the registry holds exactly what this process could leak;
- credentials in any URL, known or not: the user:password@ part, the token of a Discord or
  Slack webhook's path, query values named like token=, key=, apikey=, password=, sig=;
- the credentials of an `Authorization: <scheme> ...` value, and any `Bearer ...` token.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import parse_qsl, urlsplit

HIDDEN = "[hidden]"
# Shorter values would hide ordinary words; every real secret here is longer.
MIN_LENGTH = 6
# A path segment at least this long in a secret URL is a token (Discord's is 68 characters),
# not a word like "hooks" that would hide half the log.
TOKEN_SEGMENT = 16

_lock = threading.Lock()
_labels: dict[str, str] = {}
_known: re.Pattern[str] | None = None

_PATTERNS = [
    # scheme://user:password@host, scheme://token@host
    (re.compile(r"(?<=://)[^/\s@'\"<>]+@"), HIDDEN + "@"),
    # Discord (and Slack-compatible) webhooks: /api/webhooks/<id>/<token>
    (re.compile(r"(/api/webhooks/\d+/)[^/\s?#'\"<>]+"), r"\1" + HIDDEN),
    # Slack incoming webhooks: hooks.slack.com/services/T.../B.../<token>
    (re.compile(r"(hooks\.slack\.com/services/)[^\s?#'\"<>]+", re.I), r"\1" + HIDDEN),
    (
        re.compile(
            r"([?&;](?:token|access_token|auth|key|apikey|api_key|api-key|secret|password|passwd|pass|sig|signature)=)"
            r"[^&;\s#'\"<>]+",
            re.I,
        ),
        r"\1" + HIDDEN,
    ),
    # Credentials in an Authorization header, in any form a log line may quote it...
    (re.compile(r"""(authorization['"]?\s*[:=,]\s*['"]?[A-Za-z]+\s+)[^\s'",}]+""", re.I), r"\1" + HIDDEN),
    # ...and a bearer token anywhere ("Basic" and "Token" alone are too common as words).
    (re.compile(r"\b(bearer\s+)[A-Za-z0-9._~+/=\-]{6,}", re.I), r"\1" + HIDDEN),
]


def remember(value: str | None, *, label: str = HIDDEN) -> None:
    """Never log `value` in this process; it shows as `label` instead (e.g. $HOMEOPS_DISCORD_URL)."""
    global _known
    if not value or len(value) < MIN_LENGTH or value in _labels:
        return
    with _lock:
        _labels.setdefault(value, label)
        # Longest first, so a URL is replaced whole before a piece of it is.
        ordered = sorted(_labels, key=len, reverse=True)
        _known = re.compile("|".join(re.escape(v) for v in ordered))


def remember_url(url: str | None, *, label: str = HIDDEN) -> None:
    """A secret URL and the pieces of it a log line may hold on their own: its password or
    user token, its query and each value in it, its path when long, and each long (token-like)
    path segment."""
    if not url:
        return
    remember(url, label=label)
    try:
        parts = urlsplit(url)
    except ValueError:
        return
    for piece in (parts.password, parts.username if not parts.password else None, parts.query):
        remember(piece)
    for _name, value in parse_qsl(parts.query):
        remember(value)
    if len(parts.path) >= TOKEN_SEGMENT:
        remember(parts.path)
    for segment in parts.path.split("/"):
        if len(segment) >= TOKEN_SEGMENT:
            remember(segment)


def redact(text: str) -> str:
    known = _known
    if known is not None:
        text = known.sub(lambda m: _labels.get(m.group(0), HIDDEN), text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites the record itself, so every handler after this one sees the clean text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: let the handler report it as usual
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
