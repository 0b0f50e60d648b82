"""Words for due days: "today", "tomorrow", "3 days overdue", "Tue 8 Dec"."""

from __future__ import annotations

from datetime import date

from django import template

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
