"""The ledger's writes. Views, the config section, the bill review and the importer call
these and nothing else writes ledger rows; each validates the whole row first
(full_clean: the model's rules are the form's and the config file's)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from apps.ledger.models import ONE, CostItem, LedgerSettings, Price


def household_currency() -> str:
    return LedgerSettings.load().currency


def price_set(item: CostItem, *, amount: Decimal, since: date, currency: str = "", rate: Decimal = ONE) -> Price:
    """The item costs `amount` from `since` on: a new row in its price history, or the
    correction of that day's row. Earlier prices stay as they were."""
    currency = (currency or household_currency()).upper()
    if currency == household_currency():
        rate = ONE
    with transaction.atomic():
        price = Price.objects.filter(item=item, since=since).first() or Price(item=item, since=since)
        price.amount, price.currency, price.rate = amount, currency, rate
        price.full_clean()
        price.save()
    return price


def item_end(item: CostItem, *, end: date) -> CostItem:
    """Cancelled or sold on `end`: it stops counting after that day's month."""
    item.end = end
    item.full_clean()
    item.save(update_fields=["end", "updated"])
    return item
