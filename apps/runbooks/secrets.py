"""Secret-shaped text in a runbook: what looks like a password, a key or a token.

A runbook says where a secret is kept ("NAS admin: password manager, vault Home, item DSM"),
never the secret itself: it is read by a friend, printed in the binder and exported in the
configuration file. `find(body)` names each line that looks like it holds one, so the save
can ask the owner to replace it with a pointer (apps/runbooks/services.py, runbook_save).

It is a warning, not a wall: the owner may keep the line (Runbook.secret_override), so the
rules lean towards finding too little rather than nagging about commands and checksums.
What must not warn (tests/runbooks/test_secrets.py keeps a corpus): a sha256 in a command, a
UUID, a URL, a path, prose about the password manager, `password_env: NAME`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

# Shapes that are secrets whatever surrounds them.
_SHAPES: list[tuple[str, re.Pattern[str]]] = [
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("an OpenAI-style API key", re.compile(r"(?<![A-Za-z0-9])sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}")),
    ("a GitHub token", re.compile(r"(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})")),
    ("an AWS access key", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])")),
    ("a Slack token", re.compile(r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a GitLab token", re.compile(r"(?<![A-Za-z0-9])glpat-[A-Za-z0-9_-]{20,}")),
    ("a Discord webhook address", re.compile(r"discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{20,}")),
    ("a Telegram bot token", re.compile(r"(?<![0-9])\d{8,10}:AA[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])")),
    ("a password in a URL", re.compile(r"[a-z][a-z0-9+.-]*://[^\s/:@]+:[^\s/@]{3,}@", re.IGNORECASE)),
]

# "password: hunter2", "passwd=hunter2", "api_key = ...": a value right after the word; and
# "the password is hunter2." (one word after "is": "the token is valid for a year" is prose).
_LABELLED = re.compile(
    r"(?<![A-Za-z0-9_])(?P<word>password|passwd|passphrase|pwd|secret|api[_-]?key|token|pin)"
    r"\s*[:=]\s*(?P<value>\S.*)"
    r"|(?<![A-Za-z0-9_])(?P<word2>password|passphrase|passwd)\s+is\s+(?P<value2>[^\s]+?)[.,;!]?\s*$",
    re.IGNORECASE,
)
# Values after "password:" that say where it is rather than what it is, or stand in for it.
_POINTER_WORDS = re.compile(
    r"^(?:in|on|see|kept|stored|ask|from|the|a|an|our|my|your|not|none|no|n/a|same|unknown|saved|held|"
    r"written|whatever|printed|under|with|where|ask)\b"
    r"|password manager|1password|bitwarden|keepass|vaultwarden|\bvault\b|keychain|envelope|safe\b",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"^[\"'`]?(?:[*•x.]{3,}|<[^>]*>|\$\{?[A-Za-z_]+\}?|\{\{.*\}\}|\[[^\]]*\]|…|\.\.\.)[\"'`]?$")

# Long tokens: at least this long, with upper and lower case letters and digits, and as
# varied as random text (bits per character). Hex (a sha256, a UUID) has no upper and lower
# case together; words and paths are not this varied.
TOKEN_LENGTH = 32
TOKEN_ENTROPY = 4.2
_TOKEN = re.compile(rf"[A-Za-z0-9+/=_-]{{{TOKEN_LENGTH},}}")


@dataclass(frozen=True)
class Finding:
    line: int  # 1-based
    what: str  # "a password", "a GitHub token"
    text: str  # the line, with the secret-shaped part masked

    def __str__(self) -> str:
        return f"Line {self.line} looks like it holds {self.what}: {self.text}"


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _random_looking(token: str) -> bool:
    if token.startswith("/") or "//" in token:
        return False  # a path
    if any(part.isalpha() and part.islower() and len(part) >= 4 for part in token.split("/")):
        return False  # a path with words in it ("…/branch/main/deploy/README")
    core = token.strip("=")
    varied = any(c.isupper() for c in core) and any(c.islower() for c in core) and any(c.isdigit() for c in core)
    return varied and entropy(core) >= TOKEN_ENTROPY


def mask(line: str, start: int, end: int) -> str:
    """The line with line[start:end] hidden but its first characters, so the owner can tell
    which it is without the page showing it whole."""
    secret = line[start:end]
    shown = min(4, len(secret) // 4)
    return (line[:start] + secret[:shown] + "•••" + line[end:]).strip()[:160]


def _labelled(line: str) -> tuple[int, int] | None:
    hit = _LABELLED.search(line)
    if hit is None:
        return None
    group = "value" if hit.group("value") is not None else "value2"
    word = (hit.group("word") or hit.group("word2")).lower()
    value = hit.group(group).strip()
    if _POINTER_WORDS.search(value) or _PLACEHOLDER.match(value):
        return None
    if word in {"token", "pin", "secret"} and (len(value) < 6 or " " in value):
        return None  # "PIN: 4 digits", "token: yes": a secret of that kind is one word
    return hit.start(group), hit.start(group) + len(value)


def find(body: str) -> list[Finding]:
    """Each line of `body` that looks like it holds a secret, once, with what it looks like."""
    found: list[Finding] = []
    in_key = False
    for number, line in enumerate(body.splitlines(), start=1):
        if in_key:  # the lines of a private key block after its BEGIN line
            in_key = "-----END" not in line
            continue
        hit = _line(line)
        if hit is not None:
            what, start, end = hit
            found.append(Finding(number, what, mask(line, start, end)))
            in_key = what == "a private key" and "-----END" not in line
    return found


def _line(line: str) -> tuple[str, int, int] | None:
    for what, pattern in _SHAPES:
        if hit := pattern.search(line):
            return what, hit.start(), hit.end()
    if span := _labelled(line):
        return "a password", *span
    for hit in _TOKEN.finditer(line):
        if _random_looking(hit.group()):
            return "a long random token", hit.start(), hit.end()
    return None
