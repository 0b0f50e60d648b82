"""The overview's figures (issue 14, "Reports and creep"): the run rate by category and by
item, the 12-month trend, the total cost of ownership to date, owning against the cloud
alternative, and what changed since the last review. Every monthly figure comes from
figures.py; this module only adds them up, compares them and puts them in words.

`changes_since` is also what the creep check (creep.py) judges, so the overview and the
alerts always name the same changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone

from apps.ledger import figures
from apps.ledger.figures import money
from apps.ledger.models import EARLIEST_DAY, Category, CostItem, Kind, LedgerSettings, Price, Review

TREND_MONTHS = 12
BIGGEST = 5  # items named under "the biggest items"
HUNDRED = Decimal(100)


def stored(value: Decimal) -> Decimal:
    """A run rate as the 4-decimal columns keep it (Review.baseline, CreepAlert.run_rate): a
    third of a quarterly price has no end, and a field must not be handed more places."""
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def percent_of(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole in percent, half-up to hundredths; None for a zero whole."""
    if not whole:
        return None
    return (part / whole * HUNDRED).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Share:
    """A category's or an item's part of the month."""

    label: str
    amount: Decimal
    percent: Decimal | None
    item: CostItem | None = None


@dataclass(frozen=True)
class Cloud:
    """Owning against what the cloud would charge, both a month; the difference is taken from
    the rounded figures, so the sentence adds up to the cent."""

    owning: Decimal
    alternative: Decimal
    note: str

    @property
    def difference(self) -> Decimal:
        return figures.cents(self.alternative) - figures.cents(self.owning)

    @property
    def sentence(self) -> str:
        start = f"Owning costs {money(self.owning)} a month; the cloud alternative {money(self.alternative)}"
        if self.difference > 0:
            return f"{start}: owning saves {money(self.difference)} a month."
        if self.difference < 0:
            return f"{start}: owning costs {money(-self.difference)} a month more than the cloud would."
        return f"{start}: they cost the same."


@dataclass(frozen=True)
class PriceChange:
    price: Price  # the new row
    before: Price | None  # the price in effect the day before it

    @property
    def item(self) -> CostItem:
        return self.price.item


@dataclass(frozen=True)
class Changes:
    """What changed since a review: the run rate against its baseline, and the rows behind it."""

    review: Review
    run_rate: Decimal
    new_items: list[CostItem]
    ended_items: list[CostItem]
    price_changes: list[PriceChange]

    @property
    def change(self) -> Decimal:
        return self.run_rate - self.review.baseline

    @property
    def percent(self) -> Decimal | None:
        return percent_of(self.change, self.review.baseline)

    @property
    def new_recurring(self) -> list[CostItem]:
        return [item for item in self.new_items if item.kind == Kind.RECURRING]

    @property
    def sentence(self) -> str:
        """ "The run rate is 70.20, up 8.10 (13.04%) from 62.10 at the review of 3 March 2026." """
        when = f"at the review of {timezone.localtime(self.review.created):%-d %B %Y}"
        base = money(self.review.baseline)
        shown = figures.cents(self.run_rate) - figures.cents(self.review.baseline)
        if not shown:
            return f"The run rate is {money(self.run_rate)}, the same as {when}."
        direction = "up" if shown > 0 else "down"
        share = f" ({abs(self.percent)}%)" if self.percent is not None else ""
        return f"The run rate is {money(self.run_rate)}, {direction} {money(abs(shown))}{share} from {base} {when}."

    @property
    def nothing(self) -> bool:
        return not (self.new_items or self.ended_items or self.price_changes)


def latest_review() -> Review | None:
    return Review.objects.select_related("by").order_by("-created", "-pk").first()


def changes_since(review: Review, *, run_rate: Decimal, today: date | None = None) -> Changes:
    """Items created, items ended and prices added (not an item's first) since `review`."""
    today = today or timezone.localdate()
    day = timezone.localdate(review.created)
    new_items = list(CostItem.objects.filter(created__gt=review.created).order_by("created", "pk"))
    # Ended after the review's day, or marked ended since (a date set in the past); not the
    # bill review's own cancellations, which its baseline counts already.
    ended = CostItem.objects.filter(end__isnull=False).filter(
        Q(end__gt=day) | Q(updated__gt=review.created), end__lte=today
    )
    earlier = Price.objects.filter(item=OuterRef("item"), since__lt=OuterRef("since"))
    added = (
        Price.objects.filter(created__gt=review.created)
        .filter(Exists(earlier))
        .select_related("item")
        .prefetch_related("item__prices")  # the price before each change, without a query per change
        .order_by("created", "pk")
    )
    changes = []
    for price in added:
        older = [other for other in price.item.prices.all() if other.since < price.since]
        changes.append(PriceChange(price, max(older, key=lambda other: other.since, default=None)))
    return Changes(review, run_rate, new_items, list(ended.order_by("end", "name")), changes)


def cloud(owning: Decimal) -> Cloud | None:
    settings = LedgerSettings.load()
    if settings.cloud_alternative is None:
        return None
    return Cloud(owning, settings.cloud_alternative, settings.cloud_alternative_note)


@dataclass(frozen=True)
class Overview:
    today: date
    currency: str
    run_rate: figures.Month
    categories: list[Share]  # the categories that cost something, biggest first
    biggest: list[Share]
    trend: list[figures.Month]  # oldest first, this month last; the closed months without lines
    tco: Decimal
    tco_first: date | None  # the first month counted
    tco_months: int
    cloud: Cloud | None
    review: Review | None
    changes: Changes | None
    has_items: bool

    @property
    def trend_summary(self) -> str:
        """The trend in words, for the chart's title and for those who skip the chart."""
        first, last = self.trend[0], self.trend[-1]
        top = max(self.trend, key=lambda month: (month.total, month.month))
        return (
            f"Monthly cost from {first.label} to {last.label}: {money(first.total)} then, {money(last.total)} now; "
            f"the highest {money(top.total)} in {top.label}."
        )

    @property
    def categories_summary(self) -> str:
        return "; ".join(f"{share.label} {money(share.amount)}" for share in self.categories) + "."


def _shares(month: figures.Month) -> tuple[list[Share], list[Share]]:
    labels = dict(Category.choices)
    categories = [
        Share(labels[value], amount, percent_of(amount, month.total))
        for value, amount in month.by_category.items()
        if amount
    ]
    categories.sort(key=lambda share: -share.amount)
    biggest = [
        Share(line.item.name, line.amount, percent_of(line.amount, month.total), line.item)
        for line in month.lines[:BIGGEST]
        if line.amount
    ]
    return categories, biggest


# --- the closed months, kept -------------------------------------------------------------------
# The total cost of ownership adds every month since the first cost: five years of a large
# household is 61 months x 150 items on every visit (bench/README.md, "ledger"), and only the
# month in progress changes from day to day. So the months before this one are kept in the
# cache (Redis in production, bounded by its socket timeouts in homeops/cache.py; a failure is
# a miss), as their totals and category sums only, keyed by a ledger version that every write
# retires (creep.after_change, and the services that write without it), today and the price
# per kWh. The hour's TTL is for measured electricity, which follows the UPS's latest reading.
# The month in progress is always computed.

CLOSED_TTL = 3600
VERSION_KEY = "ledger:figures-version"


def _version() -> str:
    """The ledger's current version: a random token (not a counter, so a version lost to an
    eviction or a restart can never come back and name old figures)."""
    version = cache.get(VERSION_KEY)
    if not isinstance(version, str):
        version = uuid.uuid4().hex
        cache.set(VERSION_KEY, version, None)
    return version


def retire_closed_months() -> None:
    """A new version: the kept months of the old one are never read again."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def forget_closed_months() -> None:
    """After a ledger write: a new version now (this transaction's reads see the write) and
    again after the commit (a request that read the old rows meanwhile kept them under the
    version it read first, which the commit retires), that one once per transaction.
    creep.after_change does the same with its own after-commit check."""
    retire_closed_months()
    connection = transaction.get_connection()
    queued = any(callback is retire_closed_months for _, callback, _ in connection.run_on_commit)
    if not (connection.in_atomic_block and queued):
        transaction.on_commit(retire_closed_months, robust=True)


def _summary(month: figures.Month) -> figures.Month:
    """A closed month as the cache keeps it: its total and categories, not its lines."""
    return figures.Month(month.month, [], month.total, dict(month.by_category))


def _months(first: date, this_month: date, today: date) -> list[figures.Month]:
    """figures.months from `first` to this month; the closed ones as summaries, from the cache
    when they are there. The version is read before the rows, so figures computed from rows
    older than a write are stored under the version the write retires."""
    if first >= this_month:
        return figures.months(first, this_month, today=today)
    key = f"ledger:closed:{_version()}:{today.isoformat()}:{first.isoformat()}:{LedgerSettings.load().kwh_price}"
    kept = cache.get(key)
    if isinstance(kept, list) and len(kept) == figures.months_between(first, this_month):
        closed = [figures.Month(month, [], total, by_category) for month, total, by_category in kept]
        return [*closed, *figures.months(this_month, this_month, today=today)]
    months = figures.months(first, this_month, today=today)
    closed = [_summary(month) for month in months[:-1]]
    cache.set(key, [(month.month, month.total, month.by_category) for month in closed], CLOSED_TTL)
    return [*closed, months[-1]]


def overview(*, today: date | None = None) -> Overview:
    """Everything the overview shows, from figures.months over the months from the earliest
    item's start (or a year ago, for the trend) to this month; the closed ones kept (above)."""
    today = today or timezone.localdate()
    this_month = figures.month_start(today)
    trend_first = figures.add_months(this_month, -(TREND_MONTHS - 1))
    earliest = CostItem.objects.aggregate(first=Min("start"))["first"]
    if earliest is not None:  # a start saved before the models bounded it must not mean 24,000 months
        earliest = max(earliest, EARLIEST_DAY)
    first = min(trend_first, figures.month_start(earliest)) if earliest else trend_first
    months = _months(first, this_month, today)
    now = months[-1]
    tco_first = figures.month_start(earliest) if earliest and earliest <= today else None
    counted = [month for month in months if tco_first and month.month >= tco_first]
    categories, biggest = _shares(now)
    review = latest_review()
    return Overview(
        today=today,
        currency=LedgerSettings.load().currency,
        run_rate=now,
        categories=categories,
        biggest=biggest,
        trend=months[-TREND_MONTHS:],
        tco=sum((month.total for month in counted), Decimal(0)),
        tco_first=tco_first,
        tco_months=len(counted),
        cloud=cloud(now.total),
        review=review,
        changes=changes_since(review, run_rate=now.total, today=today) if review else None,
        has_items=earliest is not None,
    )
