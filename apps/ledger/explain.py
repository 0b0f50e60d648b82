"""An item's monthly figure in words, for its page ("1,999.00 over 36 months = 55.53 a
month"), and what was expected against what was paid, month by month.

The figures themselves are figures.py's; this module only puts their inputs into a sentence
and adds up charges."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from apps.ledger import figures
from apps.ledger.figures import money
from apps.ledger.models import Category, Charge, CostItem, Kind, Period, Price

PER = {Period.MONTHLY: "a month", Period.QUARTERLY: "a quarter", Period.YEARLY: "a year"}


def _written(price: Price, household: str) -> str:
    """A price as written, converted when it is in another currency."""
    if price.currency == household:
        return money(price.amount)
    return f"{money(price.amount, price.currency)} at {price.rate.normalize():f} = {money(price.household_amount)}"


def _usage_words(item: CostItem, usage: figures.Usage, amount: Decimal) -> str:
    """A usage item: entered bills as written, counted tokens projected over the days they cover."""
    if not usage.total and not usage.counted_to:
        if item.backend_id:
            return "Counted each morning from the gateway's audit log: nothing counted for this month yet."
        return "Nothing entered for this month yet: add the month's bill below."
    parts = []
    if usage.entered:
        parts.append(f"{money(usage.entered)} entered for this month (a bill counts as written)")
    if usage.counted_to:
        days = usage.days_counted
        day_words = "1 day" if days == 1 else f"{days} days"
        parts.append(
            f"{money(usage.counted)} counted from the gateway over {day_words} "
            f"(1 to {usage.counted_to:%-d %B}), projected over an average month of 30.44 days"
        )
    return f"{'; '.join(parts)} = {money(amount)} a month."


def in_words(item: CostItem, *, today: date, kwh_price: Decimal, household: str, usage: figures.Usage) -> str:
    """How this month's figure for `item` is computed, in one sentence (amounts in `household`)."""
    month = figures.month_start(today)
    amount = figures.monthly_cost(item, month, today=today, kwh_price=kwh_price, usage=usage)
    if item.end and item.end < month:
        return f"Ended on {item.end:%-d %B %Y}: it no longer counts."
    if item.start > figures.month_end(month):
        return f"Starts on {item.start:%-d %B %Y}: it counts from that month."
    prices = list(item.prices.all())
    if item.kind == Kind.USAGE:
        return _usage_words(item, usage, amount)
    if item.kind == Kind.ONE_OFF:
        price = figures.first_price(prices)
        if price is None:
            return "No price yet: edit the cost to give it one."
        life = item.life_months or 1
        last = figures.add_months(figures.month_start(item.start), life - 1)
        words = f"{_written(price, household)} over {life} months = {money(price.household_amount / life)} a month"
        if amount == 0:
            return f"{words}, until {last:%B %Y}: paid off, it no longer counts."
        return f"{words}, from {item.start:%B %Y} to {last:%B %Y}."
    if item.category == Category.ELECTRICITY:
        watts = figures.item_watts(item)
        if watts is not None:
            source = "entered" if item.watts is not None else f"measured by {item.ups}"
            kwh = watts * figures.HOURS_PER_MONTH / 1000
            return (
                f"{watts.normalize():f} W ({source}) × 730.5 hours = {kwh.quantize(Decimal('0.01'))} kWh a month "
                f"× {kwh_price.normalize():f} per kWh = {money(amount)} a month."
            )
        if item.ups_id:
            return f"{item.ups} has not reported the UPS's draw yet; until it does this counts nothing."
    price = figures.price_in_effect(prices, today)
    if price is None:
        return "No price yet: record one below."
    period = Period(item.period)
    if period == Period.MONTHLY:
        return f"{_written(price, household)} a month."
    return f"{_written(price, household)} {PER[period]} ÷ {figures.PERIOD_MONTHS[period]} = {money(amount)} a month."


@dataclass(frozen=True)
class MonthRow:
    month: date
    expected: Decimal
    actual: Decimal

    @property
    def difference(self) -> Decimal:
        return self.actual - self.expected


def actual_by_month(first: date, last: date, *, item: CostItem | None = None) -> dict[date, Decimal]:
    """Charges per month (household currency) from first's month to last's, for one item or all."""
    charges = Charge.objects.filter(day__gte=figures.month_start(first), day__lte=figures.month_end(last))
    if item is not None:
        charges = charges.filter(item=item)
    totals: dict[date, Decimal] = defaultdict(Decimal)
    for day, amount, rate in charges.values_list("day", "amount", "rate"):
        totals[figures.month_start(day)] += amount * rate
    return totals


def expected_and_actual(item: CostItem, *, today: date, count: int = 12) -> list[MonthRow]:
    """The last `count` months, newest first: figures' monthly cost against the charges paid."""
    months = figures.trend(count, today=today, item_id=item.pk)
    actual = actual_by_month(months[0].month, months[-1].month, item=item)
    rows = [MonthRow(m.month, m.amount_of(item.pk), actual.get(m.month, Decimal(0))) for m in months]
    return rows[::-1]
