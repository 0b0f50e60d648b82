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

`scrub()` is the one function that does it, with the one marker, `[hidden]` (or the secret's
variable name): the log filter, a backend's error on the owner's pages (apps/gateway/upstream.py)
and a notification's delivery error (apps/notify/transports/base.py) all call it, so a secret
reads the same wherever it would have shown.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
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


# Text another server wrote (a backend's or a receiver's error) may quote a key we never read
# ourselves: what merely looks like one goes too. Not for our own logs, where these shapes are
# ordinary: Celery's task ids are 36-character runs, and "token" is a word in the gateway's lines.
_FOREIGN_PATTERNS = [
    # "<scheme> <credentials>" without a header name ("Incorrect API key provided: Bearer sk-...");
    # not a value already hidden, so a variable's name survives
    (re.compile(r"(?i)\b(bearer|basic|token)\s+(?![\[$])[^\s,;\"']+"), r"\1 " + HIDDEN),
    (re.compile(r"\b(?:sk|pk|rk|hops|gsk|xai|hf|api|key)[-_][A-Za-z0-9][A-Za-z0-9_\-]{7,}"), HIDDEN),
    # Long runs of letters AND digits (tokens, hashes): model names and words are shorter or lack one.
    (re.compile(r"\b(?=[A-Za-z0-9_\-]*\d)(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{32,}"), HIDDEN),
]


def scrub(text: str, *, known: Iterable[str] | Mapping[str, str] = (), foreign: bool = False) -> str:
    """`text` without the secrets it may carry, each replaced by its label or HIDDEN.

    In order: every secret this process has read (remember()), so one read by name shows as
    that name everywhere; the `known` values the caller holds but has not registered (a mapping
    gives each its label; values shorter than MIN_LENGTH are left, as in remember()); then the
    patterns for URL credentials and Authorization values; with `foreign=True`, also what only
    looks like a key (_FOREIGN_PATTERNS)."""
    registry = _known
    if registry is not None:
        text = registry.sub(lambda m: _labels.get(m.group(0), HIDDEN), text)
    labels = known if isinstance(known, Mapping) else dict.fromkeys(known, HIDDEN)
    for value in sorted((v for v in labels if v and len(v) >= MIN_LENGTH), key=len, reverse=True):
        text = text.replace(value, labels[value])  # longest first: a URL before a piece of it
    for pattern, replacement in _PATTERNS + (_FOREIGN_PATTERNS if foreign else []):
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites the record itself, so every handler after this one sees the clean text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: let the handler report it as usual
            return True
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True
