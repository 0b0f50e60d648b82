"""Monthly figures: what each cost item adds to a month, in the household's currency.

The rules (issue 14), in one place so the pages, the report command, the creep check and the
annual review agree to the cent:
- A one-off purchase amortises as amount / life_months in each of the life_months calendar
  months from the month it was bought (and none after it was sold: `end`).
- A recurring price counts whole in a monthly period, a third in a quarterly one, a twelfth in
  a yearly one. The price of a month is the one in effect on its last day (or today, for the
  month in progress): the newest Price whose `since` is not after that day.
- Usage items add the entries of the month. An entered bill (source manual) is the month's
  bill as written, never projected. A backend's token spend (source tokens, one row per
  counted day) is projected for the month in progress over an average month (365.25 / 12
  days) from the days its rows cover: the 1st to the newest row's day (tokens.py counts a
  day the morning after, and may catch up several), so the run rate is not low just because
  the month is young; no row yet, nothing projected.
- Electricity (a recurring electricity item with watts, entered or measured) costs
  watts x 730.5 hours (365.25 x 24 / 12) / 1000 x the price per kWh.
- Nothing is rounded here: `cents` rounds half-up for display and the JSON report only.

An item counts in a month when it started on or before the month's last day and did not end
before its first day.
"""

from __future__ import annotations

import calendar
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import DateField, Max, Prefetch, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.ledger.models import Category, CostItem, Kind, LedgerSettings, Period, Price, UsageEntry

DAYS_PER_MONTH = Decimal("365.25") / 12  # 30.4375
HOURS_PER_MONTH = Decimal("730.5")
POWER_FACTOR = Decimal("0.8")  # VA to W for a UPS that reports only its apparent power
CENT = Decimal("0.01")
# A price divides by its period's months (29.97 a quarter is 9.99 a month, exactly; times a
# rounded third it would be 9.98999...). PERIOD_SHARE says the same as a fraction, for words.
PERIOD_MONTHS = {Period.MONTHLY: 1, Period.QUARTERLY: 3, Period.YEARLY: 12}
PERIOD_SHARE = {period: Decimal(1) / months for period, months in PERIOD_MONTHS.items()}


def cents(value: Decimal) -> Decimal:
    """Half-up to cents: for display and the report's JSON, never for sums."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal, currency: str = "", *, sign: bool = False) -> str:
    """1234.565 -> "1,234.57": half-up to cents, thousands marked (display only); with a
    currency "1,234.57 USD"; `sign` marks a rise with "+". Every page and message uses it."""
    rounded = cents(value)
    text = f"{rounded:,.2f}" + (f" {currency}" if currency else "")
    return f"+{text}" if sign and rounded > 0 else text


def month_start(day: date) -> date:
    return day.replace(day=1)


@functools.lru_cache(maxsize=4096)  # asked for every item in every month of the overview's years
def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, later: date) -> int:
    """Whole calendar months from first's month to later's month (0 for the same month)."""
    return (later.year - first.year) * 12 + later.month - first.month


# --- electricity ---------------------------------------------------------------------------------


def _number(details: dict[str, Any], name: str) -> Decimal | None:
    value = details.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() and number >= 0 else None


def ups_watts(details: dict[str, Any]) -> Decimal | None:
    """The UPS's output in watts from its NUT variables, in NUT's usual order: ups.realpower;
    else ups.load (percent) x ups.realpower.nominal; else ups.load x ups.power.nominal (VA) x
    0.8. Never ups.power, which is VA, read as watts. None when the UPS does not say."""
    realpower = _number(details, "ups.realpower")
    if realpower is not None:
        return realpower
    load = _number(details, "ups.load")
    if load is None:
        return None
    nominal_w = _number(details, "ups.realpower.nominal")
    if nominal_w is not None:
        return load / 100 * nominal_w
    nominal_va = _number(details, "ups.power.nominal")
    if nominal_va is not None:
        return load / 100 * nominal_va * POWER_FACTOR
    return None


def item_watts(item: CostItem) -> Decimal | None:
    """Entered watts win; else the linked UPS's last measurement (status.Service.details)."""
    if item.watts is not None:
        return item.watts
    if item.ups_id and item.ups is not None:
        return ups_watts(item.ups.details or {})
    return None


def electricity_monthly(watts: Decimal, kwh_price: Decimal) -> Decimal:
    return watts * HOURS_PER_MONTH / 1000 * kwh_price


# --- one item, one month ---------------------------------------------------------------------------


def active_in(item: CostItem, month: date) -> bool:
    return item.start <= month_end(month) and (item.end is None or item.end >= month)


def price_on(prices: Iterable[Price], day: date) -> Price | None:
    """The newest price in effect on `day` (prices in any order)."""
    best = None
    for price in prices:
        if price.since <= day and (best is None or price.since > best.since):
            best = price
    return best


def first_price(prices: Iterable[Price]) -> Price | None:
    return min(prices, key=lambda price: price.since, default=None)


def price_in_effect(prices: Iterable[Price], day: date) -> Price | None:
    """The price in effect on `day`, else the first one (an item that has not started yet):
    what an item's page, its edit form, the bill review and the export call its price."""
    prices = list(prices)
    return price_on(prices, day) or first_price(prices)


def _prices(item: CostItem) -> list[Price]:
    """The item's prices: the prefetched list itself when there is one (item.prices.all()
    builds a manager and a queryset each time, and the overview asks 150 items x 60 months)."""
    cached = getattr(item, "_prefetched_objects_cache", {}).get("prices")
    return list(cached if cached is not None else item.prices.all())


@dataclass(frozen=True)
class Usage:
    """A usage item's entries in one month, household currency, unrounded."""

    entered: Decimal = Decimal(0)  # bills entered by hand: the month's bill as written
    counted: Decimal = Decimal(0)  # token rows (tokens.py), one per counted day
    counted_to: date | None = None  # the newest token row's day in the month

    @property
    def total(self) -> Decimal:
        return self.entered + self.counted

    @property
    def days_counted(self) -> int:
        """The days of the month the token rows cover: the 1st to the newest row's day."""
        return self.counted_to.day if self.counted_to else 0


NO_USAGE = Usage()


def monthly_cost(item: CostItem, month: date, *, today: date, kwh_price: Decimal, usage: Usage = NO_USAGE) -> Decimal:
    """What `item` adds to `month` (its first day). `usage` is the month's usage entries for
    a usage item; `item.prices` should be prefetched."""
    if not active_in(item, month):
        return Decimal(0)
    if item.kind == Kind.USAGE:
        days = usage.days_counted
        if month == month_start(today) and days:
            # multiplied first: one rounding
            return usage.entered + usage.counted * DAYS_PER_MONTH / days
        return usage.total
    prices = _prices(item)
    if item.kind == Kind.ONE_OFF:
        price = first_price(prices)
        life = item.life_months or 1
        if price is None or not 0 <= months_between(item.start, month) < life:
            return Decimal(0)
        return price.household_amount / life
    if item.category == Category.ELECTRICITY:
        watts = item_watts(item)
        if watts is not None:
            return electricity_monthly(watts, kwh_price)
    day = min(month_end(month), today) if month <= today else month_end(month)
    price = price_on(prices, day) or (first_price(prices) if month == month_start(item.start) else None)
    if price is None:
        return Decimal(0)
    return price.household_amount / PERIOD_MONTHS[Period(item.period)]


# --- months ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    item: CostItem
    amount: Decimal  # this month, household currency, unrounded


@dataclass(frozen=True)
class Month:
    month: date  # its first day
    lines: list[Line]
    total: Decimal
    by_category: dict[str, Decimal] = field(default_factory=dict)  # every category, in Category order

    @property
    def label(self) -> str:
        return f"{self.month:%B %Y}"

    def amount_of(self, item_id: int) -> Decimal:
        return next((line.amount for line in self.lines if line.item.pk == item_id), Decimal(0))


def items(item_id: int | None = None) -> list[CostItem]:
    """Every item (or only `item_id`) with what the figures read, in two queries."""
    found = CostItem.objects.select_related("ups", "host", "backend").prefetch_related(
        Prefetch("prices", queryset=Price.objects.order_by("since"))
    )
    return list(found if item_id is None else found.filter(pk=item_id))


def usage_by_month(first: date, last: date, *, item_id: int | None = None) -> dict[tuple[int, date], Usage]:
    """(item id, month) -> the month's usage entries in household currency (entered and
    counted apart, with the newest counted day), in one query; only `item_id`'s if given."""
    entered: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    counted: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    counted_to: dict[tuple[int, date], date] = {}
    # Summed in the database per item, month, source and rate (a token item has a row a day:
    # 7,300 in five years), multiplied here: sum(amount) x rate is the same Decimal as the sum
    # of the products, and the product stays out of SQL, where SQLite would make it a float.
    entries = UsageEntry.objects.filter(day__gte=first, day__lte=month_end(last))
    if item_id is not None:
        entries = entries.filter(item_id=item_id)
    rows = (
        entries.annotate(month=TruncMonth("day", output_field=DateField()))
        .values("item_id", "month", "source", "rate")
        .annotate(amount=Sum("amount"), newest=Max("day"))
        .order_by()
    )
    for row in rows:
        month = row["month"]
        key = (row["item_id"], month.date() if isinstance(month, datetime) else month)
        amount = row["amount"] * row["rate"]
        if row["source"] == UsageEntry.Source.TOKENS:
            counted[key] += amount
            counted_to[key] = max(counted_to.get(key, row["newest"]), row["newest"])
        else:
            entered[key] += amount
    return {
        key: Usage(entered.get(key, Decimal(0)), counted.get(key, Decimal(0)), counted_to.get(key))
        for key in entered.keys() | counted.keys()
    }


def _month(
    month: date, all_items: list[CostItem], usage: dict[tuple[int, date], Usage], today: date, kwh: Decimal
) -> Month:
    lines = []
    by_category = {value: Decimal(0) for value in Category.values}
    for item in all_items:
        amount = monthly_cost(item, month, today=today, kwh_price=kwh, usage=usage.get((item.pk, month), NO_USAGE))
        if amount or active_in(item, month):
            lines.append(Line(item, amount))
            by_category[item.category] += amount
    lines.sort(key=lambda line: (-line.amount, line.item.name))
    return Month(month, lines, sum((line.amount for line in lines), Decimal(0)), by_category)


def months(first: date, last: date, *, today: date | None = None, item_id: int | None = None) -> list[Month]:
    """Every month from first's to last's, oldest first, in a handful of queries. With
    `item_id`, the months hold that one item's line only (its page reads no other)."""
    today = today or timezone.localdate()
    first, last = month_start(first), month_start(last)
    all_items = items(item_id)
    usage = usage_by_month(first, last, item_id=item_id)
    kwh = LedgerSettings.load().kwh_price
    count = months_between(first, last) + 1
    return [_month(add_months(first, index), all_items, usage, today, kwh) for index in range(max(count, 0))]


def run_rate(month: date | None = None, *, today: date | None = None) -> Month:
    """The monthly run rate: this month's figures (or the given month's)."""
    today = today or timezone.localdate()
    month = month_start(month or today)
    return months(month, month, today=today)[0]


def trend(count: int = 12, *, today: date | None = None, item_id: int | None = None) -> list[Month]:
    """The last `count` months, this one included, oldest first (one item's only, if given)."""
    today = today or timezone.localdate()
    last = month_start(today)
    return months(add_months(last, -(count - 1)), last, today=today, item_id=item_id)
