"""The ledger's template filters: `{{ amount|money }}` / `{{ amount|money:"USD" }}`
(figures.money: half-up to cents, thousands marked) and `{{ notes|markdown }}` (the project's
one renderer, sanitized)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString, mark_safe

from apps.core.markdown import render
from apps.ledger import figures

register = template.Library()


@register.filter
def money(value: Decimal | None, currency: str = "") -> str:
    return "" if value is None else figures.money(value, currency)


@register.filter
def markdown(text: str) -> SafeString:
    """Sanitized by apps/core/markdown.py (nh3; links http(s) or relative)."""
    return mark_safe(render(text or ""))  # noqa: S308 (sanitized by render)
