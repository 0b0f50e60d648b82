"""The ledger's writes. Views, the config section, the bill review and the importer call
these and nothing else writes ledger rows; each validates the whole row first
(full_clean: the model's rules are the form's and the config file's)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from apps.ledger import creep
from apps.ledger.models import ONE, Charge, CostItem, ImportBatch, LedgerSettings, Price


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


# --- CSV import (slice "import"): the batch and its charges -------------------------------------

IMPORT_DRAFT_DAYS = 1


def import_batch_create(*, by: User | None, filename: str, text: str, encoding: str, kind: str) -> ImportBatch:
    """A draft holding the decoded file; drafts older than a day are pruned (nobody came back)."""
    stale = timezone.now() - timedelta(days=IMPORT_DRAFT_DAYS)
    ImportBatch.objects.filter(status=ImportBatch.Status.DRAFT, created__lt=stale).delete()
    return ImportBatch.objects.create(
        by=by, filename=filename[:255], content=text, encoding=encoding, mapping={"kind": kind}
    )


def import_batch_save(batch: ImportBatch, *, charges: list[Charge], mapping: dict[str, Any]) -> int | None:
    """All the charges or none, once: the batch is claimed with a conditional UPDATE, so a
    second confirm (a double click, the back button) saves nothing and returns None."""
    for charge in charges:
        charge.batch, charge.source = batch, Charge.Source.IMPORT
        charge.clean_fields(exclude=["item", "batch"])  # the item is checked by the form
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.DRAFT).update(
            status=ImportBatch.Status.SAVED, saved_rows=len(charges), mapping=mapping
        )
        if not claimed:
            return None
        Charge.objects.bulk_create(charges, batch_size=500)
    batch.refresh_from_db()
    creep.after_change()
    return len(charges)
