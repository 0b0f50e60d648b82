"""A runbook's Markdown as safe HTML, its task-list items (`- [ ] step`) shown as steps.

The project's one renderer does the work (apps/core/markdown.py: raw HTML escaped, nh3's
allowlist, links http(s), mailto or relative only, images as links, hostile bodies shown as
text), with line_breaks=False: a line break inside a paragraph is a space, as in any Markdown
document, so a hard-wrapped runbook reads as paragraphs and a step continued on the next line
stays one sentence. After sanitizing, a list item that starts with "[ ]" or "[x]" gets the
class "step" and an empty box in front: markup we add ourselves to safe HTML.

A runbook is read far more often than written, so the HTML is cached by the body's hash: a
page view renders only what nobody has rendered before.
"""

from __future__ import annotations

import hashlib
import re

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

from apps.core import markdown

CACHE_SECONDS = 7 * 24 * 3600
_STEP = re.compile(r"<li>(\s*<p>)?\s*\[( |x|X)\]\s*")


def _box(match: re.Match[str]) -> str:
    done = match.group(2) != " "
    paragraph = match.group(1) or ""
    box = '<span class="step-box" aria-hidden="true"></span>'
    return f'<li class="step{" done" if done else ""}">{box}{paragraph}'


def steps_marked(html: str) -> str:
    """Sanitized HTML with its task-list items marked as steps."""
    return _STEP.sub(_box, html)


def render(body: str) -> SafeString:
    key = "runbook-html:" + hashlib.sha256(body.encode("utf-8")).hexdigest()
    html = cache.get(key)
    if html is None:
        html = steps_marked(markdown.render(body, line_breaks=False))
        cache.set(key, html, CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 (sanitized by markdown.render; we add only our own markup)
