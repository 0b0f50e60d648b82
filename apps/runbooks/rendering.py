"""A runbook's Markdown as safe HTML, its task-list items (`- [ ] step`) shown as steps.

The project's one renderer does the work (apps/chat/markdown.py: raw HTML escaped, nh3's
allowlist, links http(s), mailto or relative only, images as links), with one difference: a
line break inside a paragraph is a space, as in any Markdown document, not a <br> as in a chat
message (nl2br), so a hard-wrapped runbook reads as paragraphs and a step continued on the
next line stays one sentence. After sanitizing, a list item that starts with "[ ]" or "[x]"
gets the class "step" and an empty box in front: markup we add ourselves to safe HTML.

Python-Markdown is quadratic on some hostile inputs (chat/markdown.py says which: 5,000
unmatched "[" take 12 s here): such a body is shown as escaped text with its line breaks, as
the chat does. A runbook is read far more often than written, so the HTML is also cached by
the body's hash: a page view renders only what nobody has rendered before.
"""

from __future__ import annotations

import hashlib
import re

import markdown as python_markdown
from django.core.cache import cache
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

from apps.chat import markdown

# The chat's extensions and rules (raw HTML as text, images as links, fences), less nl2br.
_EXTENSIONS = [name for name in markdown._EXTENSIONS if name != "nl2br"]

CACHE_SECONDS = 7 * 24 * 3600
# Past these, Markdown would take seconds (a step list has one "[" per step, a link one more).
BRACKET_LIMIT = 2_000
SPACES_LIMIT = 2_000
_STEP = re.compile(r"<li>(\s*<p>)?\s*\[( |x|X)\]\s*")


def _box(match: re.Match[str]) -> str:
    done = match.group(2) != " "
    paragraph = match.group(1) or ""
    box = '<span class="step-box" aria-hidden="true"></span>'
    return f'<li class="step{" done" if done else ""}">{box}{paragraph}'


def steps_marked(html: str) -> str:
    """Sanitized HTML with its task-list items marked as steps."""
    return _STEP.sub(_box, html)


def _to_html(body: str) -> str:
    if body.count("[") > BRACKET_LIMIT or " " * SPACES_LIMIT in body:
        return linebreaks(escape(body))
    # A fresh instance per call, as markdown.render does (Markdown objects are not thread-safe).
    md = python_markdown.Markdown(
        extensions=[*_EXTENSIONS, markdown._ChatRules()], extension_configs=markdown._EXTENSION_CONFIGS
    )
    return markdown.sanitize(md.convert(body))


def render(body: str) -> SafeString:
    key = "runbook-html:" + hashlib.sha256(body.encode("utf-8")).hexdigest()
    html = cache.get(key)
    if html is None:
        html = steps_marked(_to_html(body))
        cache.set(key, html, CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 (sanitized by markdown.render; we add only our own markup)
