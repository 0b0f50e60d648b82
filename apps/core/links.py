"""Links a member can click: http, https or a path on this portal, nothing else.

One rule for every URL that is rendered as a link (a service's runbook_url, ...), used by the
Settings forms, the configuration file (config.link) and, for rows saved before the rule
existed, the `safe_href` template filter. `javascript:`, `data:` and `vbscript:` run script
in the member's session; browsers also ignore tabs and newlines inside a scheme and spaces
before it, so any whitespace or control character is refused outright.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

CLICKABLE_SCHEMES = {"http", "https"}
# A scheme as browsers read it (WHATWG URL): a letter, then letters, digits, + - . up to ":".
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def link_problem(value: str) -> str | None:
    """Why `value` may not be offered as a link, or None when it is http(s) or a relative path."""
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in value):
        return "must not contain spaces, tabs, line breaks or control characters"
    if "\\" in value:
        return "must use / rather than \\"
    if _SCHEME.match(value):
        parts = urlsplit(value)
        if parts.scheme.lower() not in CLICKABLE_SCHEMES or not parts.netloc:
            return "must start with http:// or https://, or be a path on this portal like /runbooks/nas"
    elif value.startswith("//"):
        return "must start with http:// or https:// (write the scheme out)"
    return None


def validate_link(value: str) -> None:
    """A Django validator for form fields."""
    if value and (problem := link_problem(value)):
        raise ValidationError(f"The link {problem}.", code="unsafe_link")


def safe_href(value: object) -> str:
    """The value if it may be a link, else "": what templates put in href."""
    text = str(value or "")
    return text if text and link_problem(text) is None else ""
