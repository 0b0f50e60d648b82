"""The ledger's writes. Views, the config section, the bill review and the importer call
these and nothing else writes ledger rows; each validates the whole row first
(full_clean: the model's rules are the form's and the config file's).

The money rules that are not a single field's (a price has at most two decimals and is not
negative; another currency needs its exchange rate) live in `money_problems`, which the
config section calls too, so the form and the file say the same words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.ledger import creep, figures, reports
from apps.ledger.importers.values import ValueProblem, read_number
from apps.ledger.models import (
    CURRENCY_WORDS,
    ONE,
    Category,
    Charge,
    CostItem,
    ImportBatch,
    Kind,
    LedgerSettings,
    Price,
    UsageEntry,
)

CENT = Decimal("0.01")
TOO_LARGE = Decimal(10) ** 10  # Money.amount: 14 digits, 4 of them decimals
CURRENCY = re.compile(r"[A-Z]{3}")
TWO_DECIMALS = "Write the amount with at most two decimals (cents), like 19.99."
NOT_NEGATIVE = "A price cannot be negative: write what it costs, like 19.99."
PRICE_NEEDED = "Give the price, like 1999.00."
TYPED_LOCALES = ("en_US", "de_DE")  # "1,999" is one thousand nine hundred and ninety-nine


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
    reports.forget_closed_months()  # the overview's kept months (the bill review writes here directly)
    return price


def item_end(item: CostItem, *, end: date) -> CostItem:
    """Cancelled or sold on `end`: it stops counting after that day's month."""
    item.end = end
    item.full_clean()
    item.save(update_fields=["end", "updated"])
    reports.forget_closed_months()  # the overview's kept months (the bill review writes here directly)
    return item


# --- money ---------------------------------------------------------------------------------------


def money_problems(
    amount: Decimal | None,
    currency: str,
    rate: Decimal | None,
    *,
    household: str,
    negative: bool = False,
) -> dict[str, str]:
    """What is wrong with an amount as written (field -> words); empty when nothing is.
    `negative` allows a refund (charges). The fields' own limits are the model's."""
    problems: dict[str, str] = {}
    if amount is not None:
        amount = Decimal(amount)  # an int is a whole amount; a float would already be inexact
        if not amount.is_finite():
            problems["amount"] = "Write the amount as a number, like 19.99."
        elif abs(amount) >= TOO_LARGE:
            problems["amount"] = "Too large: at most 9,999,999,999.99."
        elif amount != amount.quantize(CENT, rounding=ROUND_DOWN):
            problems["amount"] = TWO_DECIMALS
        elif amount < 0 and not negative:
            problems["amount"] = NOT_NEGATIVE
    # The household's figures (amount x rate) must fit the same columns as an amount.
    foreign = bool(currency) and currency.upper() != household and rate is not None and rate > 0
    if foreign and "amount" not in problems and amount is not None and abs(amount * Decimal(rate or 0)) >= TOO_LARGE:
        problems["amount"] = (
            f"Too large: at this rate it is more than 9,999,999,999.99 {household}. Check the amount and the rate."
        )
    if currency and not CURRENCY.fullmatch(currency.upper()):
        problems["currency"] = CURRENCY_WORDS
    elif currency and currency.upper() != household and rate in (None, ONE):
        # 1 is the model's default: a row built without a rate (an import) must say it too.
        problems["rate"] = (
            f"Amounts in {currency.upper()} need the exchange rate: how many {household} one "
            f"{currency.upper()} is worth, like 1.08."
        )
    return problems


def _money(currency: str, rate: Decimal | None, household: str) -> tuple[str, Decimal]:
    """The currency as stored (the household's when empty) and its rate (1 for the household's)."""
    currency = (currency or household).upper()
    return currency, (ONE if currency == household or rate is None else rate)


def _unchanged_row(instance: Charge, household: str) -> bool:
    """A stored charge whose currency and rate are as saved. The "needs a rate" rule is for new
    values: after the household's currency changed, old rows keep the old currency with rate 1,
    and assigning or editing them must not ask for a rate (the assign page has no rate field)."""
    if instance.pk is None:
        return False
    stored = type(instance).objects.filter(pk=instance.pk).values_list("currency", "rate").first()
    return stored is not None and stored == _money(instance.currency, instance.rate, household)


def _price_unchanged(
    item: CostItem, amount: Decimal | None, currency: str, rate: Decimal | None, since: date | None, household: str
) -> bool:
    """The edit form sent back the price _record_price would compare with, unchanged: nothing
    new is written, so the "needs a rate" rule (for new values) does not apply."""
    if item.pk is None or amount is None:
        return False
    day = item.start if item.kind == Kind.ONE_OFF else max(since or timezone.localdate(), item.start)
    price = current_price(item, day)
    as_sent = (amount, *_money(currency, rate, household))
    return price is not None and (price.amount, price.currency, price.rate) == as_sent


def _raise(problems: dict[str, str]) -> None:
    if problems:
        raise ValidationError(problems)


def _clean(instance: CostItem | UsageEntry | Charge, problems: dict[str, str]) -> dict[str, str]:
    """The model's own rules (full_clean) added to `problems`, so one answer names them all."""
    try:
        instance.full_clean(exclude=[name for name in problems if name != "__all__"])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            problems.setdefault(field, " ".join(messages))
    return problems


def current_price(item: CostItem, day: date | None = None) -> Price | None:
    """figures.price_in_effect on `day` (today), read afresh: a write may have just changed
    the prices a prefetch holds."""
    return figures.price_in_effect(item.prices.order_by("since"), day or timezone.localdate())


# --- cost items ----------------------------------------------------------------------------------


def needs_price(item: CostItem) -> bool:
    """Purchases and subscriptions have prices; usage has entries, and electricity with watts
    (entered or measured) costs its kWh."""
    if item.kind == Kind.USAGE:
        return False
    return not (item.kind == Kind.RECURRING and item.category == Category.ELECTRICITY)


def item_save(
    item: CostItem,
    *,
    amount: Decimal | None = None,
    currency: str = "",
    rate: Decimal | None = None,
    price_since: date | None = None,
) -> CostItem:
    """Validate and save an item, and record its price: a one-off's purchase price (one row,
    from its start); a recurring item's first price from its start, and a changed amount as a
    price change from `price_since` (today when not given), the history kept."""
    household = household_currency()
    problems = money_problems(amount, currency, rate, household=household)
    if "rate" in problems and _price_unchanged(item, amount, currency, rate, price_since, household):
        del problems["rate"]
    problems = _clean(item, problems)
    has_prices = item.pk is not None and item.prices.exists()
    if needs_price(item) and amount is None and not has_prices:
        problems["amount"] = PRICE_NEEDED
    if price_since and price_since < item.start:
        problems["price_since"] = f"A price change cannot come before the start ({item.start:%-d %B %Y})."
    if problem := kind_change_problem(item):
        problems["__all__"] = problem
    _raise(problems)
    currency, rate_value = _money(currency, rate, household)
    with transaction.atomic():
        moved_start = _start_before_save(item)
        item.save()
        if moved_start is not None:
            _move_first_price(item, moved_start)
        if amount is not None and needs_price(item):
            _record_price(item, amount, currency, rate_value, price_since)
    creep.after_change()
    return item


def kind_change_problem(item: CostItem) -> str:
    """A saved item with a price history keeps its kind: another kind reads its prices
    otherwise (a purchase keeps one price and the others would be deleted; paid by use reads
    none), so the history would be lost or meaningless. Refused, rather than confirmed: ending
    the cost and adding a new one keeps the history and says what happened, in two steps."""
    if item.pk is None:
        return ""
    before = CostItem.objects.filter(pk=item.pk).values_list("kind", flat=True).first()
    if before is None or before == item.kind:
        return ""
    prices = list(Price.objects.filter(item=item).order_by("since"))
    if len(prices) < 2:
        return ""
    days = ", ".join(f"{price.since:%-d %B %Y}" for price in prices)
    return (
        f"“{item.name}” has {len(prices)} prices (from {days}): making it a {Kind(item.kind).label.lower()} would "
        f"lose that history. To keep it, end this cost (give it an end date) and add a new one of the other kind."
    )


def _start_before_save(item: CostItem) -> date | None:
    """The start the item had before this save, when it changed (its first price moves with it)."""
    if item.pk is None:
        return None
    before = CostItem.objects.filter(pk=item.pk).values_list("start", flat=True).first()
    return before if before is not None and before != item.start else None


def _move_first_price(item: CostItem, old_start: date) -> None:
    """The first price is "from the start": it follows a changed start date, unless a later
    price change would then come first (the owner must correct that price instead)."""
    prices = list(item.prices.order_by("since"))
    if not prices or prices[0].since != old_start:
        return
    if len(prices) > 1 and prices[1].since <= item.start:
        raise ValidationError(
            {"start": f"The price changed on {prices[1].since:%-d %B %Y}: the start must be before that day."}
        )
    Price.objects.filter(pk=prices[0].pk).update(since=item.start)


def _record_price(item: CostItem, amount: Decimal, currency: str, rate: Decimal, since: date | None) -> None:
    if item.kind == Kind.ONE_OFF:  # a purchase has one price, from the day it was bought
        item.prices.exclude(since=item.start).delete()
        price_set(item, amount=amount, since=item.start, currency=currency, rate=rate)
        return
    if not item.prices.exists():  # a new subscription's first price counts from its start
        price_set(item, amount=amount, since=item.start, currency=currency, rate=rate)
        return
    since = since or timezone.localdate()
    since = max(since, item.start)
    now = current_price(item, since)
    if now is not None and (now.amount, now.currency, now.rate) == (amount, currency, rate):
        return  # the same price: nothing changed
    price_set(item, amount=amount, since=since, currency=currency, rate=rate)


def price_change(
    item: CostItem, *, amount: Decimal, since: date, currency: str = "", rate: Decimal | None = None
) -> Price:
    """Record a price change: a recurring item costs `amount` from `since` on."""
    household = household_currency()
    problems = money_problems(amount, currency, rate, household=household)
    if item.kind != Kind.RECURRING:
        problems.setdefault("amount", "Only a recurring cost changes price; edit a purchase's price instead.")
    elif since < item.start:
        problems["since"] = f"A price change cannot come before the start ({item.start:%-d %B %Y})."
    _raise(problems)
    currency, rate_value = _money(currency, rate, household)
    price = price_set(item, amount=amount, since=since, currency=currency, rate=rate_value)
    creep.after_change()
    return price


def price_delete(price: Price) -> None:
    """Remove a mistaken price change; an item's first price stays (it is the item's price)."""
    if not price.item.prices.filter(since__lt=price.since).exists():
        raise ValidationError("The first price cannot be removed: edit the cost's price instead.")
    price.delete()
    creep.after_change()


def item_delete(item: CostItem) -> None:
    """The item goes with its prices and usage; its charges stay, unassigned."""
    item.delete()
    creep.after_change()


# --- usage entries (entered by hand) -------------------------------------------------------------


def usage_save(entry: UsageEntry) -> UsageEntry:
    """A usage item's cost on a day (the month's bill on any day of it)."""
    household = household_currency()
    problems = money_problems(entry.amount, entry.currency, entry.rate, household=household)
    if entry.item_id and entry.item.kind != Kind.USAGE:
        kind = entry.item.get_kind_display().lower()
        problems["item"] = f"Usage entries are for costs paid by use; “{entry.item.name}” is a {kind}."
    entry.currency, entry.rate = _money(entry.currency, entry.rate, household)
    entry.source = UsageEntry.Source.MANUAL
    _raise(_clean(entry, problems))
    entry.save()
    creep.after_change()
    return entry


def usage_delete(entry: UsageEntry) -> None:
    entry.delete()
    creep.after_change()


# --- charges ---------------------------------------------------------------------------------


def _charge_problems(charge: Charge, household: str) -> dict[str, str]:
    problems = money_problems(charge.amount, charge.currency, charge.rate, household=household, negative=True)
    if "rate" in problems and _unchanged_row(charge, household):
        del problems["rate"]
    charge.currency, charge.rate = _money(charge.currency, charge.rate, household)
    return _clean(charge, problems)


def charge_save(charge: Charge) -> Charge:
    """An amount actually paid (negative: a refund), entered by hand or assigned to an item."""
    _raise(_charge_problems(charge, household_currency()))
    charge.save()
    creep.after_change()
    return charge


def charge_delete(charge: Charge) -> None:
    charge.delete()
    creep.after_change()


class ChargeRowsInvalid(ValidationError):
    """Some rows of an import are wrong: `rows` maps each row's index to its problems; the
    messages name the file's row numbers when given (`numbers`, one per row), else 1, 2, ..."""

    def __init__(self, rows: dict[int, dict[str, str]], numbers: list[int] | None = None) -> None:
        self.rows = rows
        super().__init__(
            [
                f"Row {numbers[index] if numbers else index + 1}: {' '.join(problems.values())}"
                for index, problems in sorted(rows.items())
            ]
        )


def _charges_checked(
    rows: Iterable[Charge], batch: ImportBatch | None, numbers: list[int] | None = None
) -> list[Charge]:
    """Every imported row judged by the same rules as an entered charge; ChargeRowsInvalid
    names each wrong row, and then nothing may be written."""
    household = household_currency()
    charges = list(rows)
    wrong: dict[int, dict[str, str]] = {}
    for index, charge in enumerate(charges):
        charge.batch, charge.source = batch, Charge.Source.IMPORT
        if problems := _charge_problems(charge, household):
            wrong[index] = problems
    if wrong:
        raise ChargeRowsInvalid(wrong, numbers if numbers and len(numbers) == len(charges) else None)
    return charges


def charges_create(rows: Iterable[Charge], *, batch: ImportBatch | None) -> list[Charge]:
    """Imported charges, all or nothing (import_batch_save adds the claim on its batch)."""
    charges = _charges_checked(rows, batch)
    with transaction.atomic():
        created = Charge.objects.bulk_create(charges)
    creep.after_change()
    return created


# --- settings --------------------------------------------------------------------------------


def settings_save(settings: LedgerSettings) -> LedgerSettings:
    """The one row of ledger settings (currency, kWh price, creep threshold, cloud alternative)."""
    settings.pk = 1
    settings.currency = (settings.currency or "").upper()
    settings.full_clean(validate_unique=False)  # the one row: pk 1 is updated, or created
    settings.save()
    creep.after_change()
    return settings


def parse_amount(text: str) -> Decimal | None:
    """A typed amount as people write it: "19.99", "1,999.00", or the European "19,99" and
    "1.999,00" (read as the importer reads a file's: en_US strictly, then de_DE); None when it
    is neither (1E3, 1_000, NaN, words). money_problems judges its decimals and size."""
    for locale in TYPED_LOCALES:
        try:
            return read_number(text, locale)
        except ValueProblem:
            continue
    return None


# --- CSV import (slice "import"): the batch and its charges -------------------------------------

IMPORT_DRAFT_DAYS = 1


def import_batch_create(*, by: User | None, filename: str, text: str, encoding: str, kind: str) -> ImportBatch:
    """A draft holding the decoded file; drafts older than a day are pruned (nobody came back)."""
    stale = timezone.now() - timedelta(days=IMPORT_DRAFT_DAYS)
    ImportBatch.objects.filter(status=ImportBatch.Status.DRAFT, created__lt=stale).delete()
    return ImportBatch.objects.create(
        by=by, filename=filename[:255], content=text, encoding=encoding, mapping={"kind": kind}
    )


def import_batch_save(
    batch: ImportBatch, *, charges: list[Charge], mapping: dict[str, Any], rows: list[int] | None = None
) -> int | None:
    """All the charges or none, once: every row is judged as charges_create judges it
    (ChargeRowsInvalid, naming the file's row numbers `rows` when given), and the batch is
    claimed with a conditional UPDATE, so a second confirm (a double click, the back button)
    saves nothing and returns None."""
    charges = _charges_checked(charges, batch, rows)
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
