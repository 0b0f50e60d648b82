"""Rows for the overview, creep and review tests, written as the ledger's services would (the
item pages are another part of the ledger): an item with its first price, a review."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from apps.ledger import services
from apps.ledger.models import Category, CostItem, Kind, Period, Review

START = date(2025, 1, 1)


def cost(
    name: str,
    amount: str,
    *,
    kind: str = Kind.RECURRING,
    period: str = Period.MONTHLY,
    category: str = Category.SUBSCRIPTION,
    start: date = START,
    **fields,
) -> CostItem:
    item = CostItem(name=name, kind=kind, period=period, category=category, start=start, **fields)
    item.full_clean()
    item.save()
    services.price_set(item, amount=Decimal(amount), since=start)
    return item


def review(baseline: str, *, created: datetime | None = None, kind: str = Review.Kind.BILLS) -> Review:
    return Review.objects.create(kind=kind, created=created or timezone.now(), baseline=Decimal(baseline))
