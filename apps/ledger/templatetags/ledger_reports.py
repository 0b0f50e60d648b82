"""The ledger's template filters: `{{ amount|money }}` (reports.money: half-up to cents,
thousands marked) and `{{ notes|markdown }}` (the project's one renderer, sanitized)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString, mark_safe

from apps.core.markdown import render
from apps.ledger import reports

register = template.Library()


@register.filter
def money(value: Decimal | None) -> str:
    return "" if value is None else reports.money(value)


@register.filter
def markdown(text: str) -> SafeString:
    return mark_safe(render(text or ""))  # noqa: S308 (sanitized by render)
