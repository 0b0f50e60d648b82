"""The ledger's pages: money with two decimals (rounded half-up, thousands marked), and an
item's notes through the project's one Markdown renderer."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString, mark_safe

from apps.core.markdown import render
from apps.ledger.explain import money as money_text

register = template.Library()


@register.filter
def money(value: Decimal | None, currency: str = "") -> str:
    """{{ amount|money }} -> "1,999.00"; {{ amount|money:"USD" }} -> "1,999.00 USD"."""
    return "" if value is None else money_text(value, currency)


@register.filter
def notes(text: str) -> SafeString:
    """Sanitized by apps/core/markdown.py (nh3; links http(s) or relative)."""
    return mark_safe(render(text or ""))  # noqa: S308 (sanitized by render)
