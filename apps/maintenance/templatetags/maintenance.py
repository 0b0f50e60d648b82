"""Words for due days: "today", "tomorrow", "3 days overdue", "Tue 8 Dec"."""

from __future__ import annotations

from datetime import date

from django import template
from django.utils.safestring import SafeString, mark_safe

from apps.core.markdown import render

register = template.Library()


@register.filter
def due_words(due: date | None, today: date) -> str:
    if due is None:
        return "not scheduled"
    days = (due - today).days
    if days < -1:
        return f"{-days} days overdue"
    if days == -1:
        return "1 day overdue (yesterday)"
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 7:
        return f"{due:%A}"
    return f"{due:%a %-d %b}" + (f" {due:%Y}" if due.year != today.year else "")


@register.filter
def markdown(text: str) -> SafeString:
    """A task's description or a completion's notes, through the project's one renderer
    (apps/core/markdown.py: sanitized with nh3, links http(s) or relative)."""
    return mark_safe(render(text or ""))  # noqa: S308 (sanitized by render)
