"""Reviews: the quarterly bill review (walk every active recurring item: keep, cancel, or a
new price) and "mark reviewed" on creep alerts. Both record a Review whose baseline is the run
rate once the decisions are written, and close the open creep alerts, in one transaction
serialised with the creep check (creep.lock).

The bill review is also the bill-audit item of the quarterly audit: `audit_pointer` tells the
audit form (apps/maintenance/audit.py) about this quarter's latest one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from apps.ledger import creep, figures, reports, services
from apps.ledger.models import Category, CostItem, CreepAlert, Kind, Price, Review, ReviewItem

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from apps.maintenance.audit import BillsPointer

HISTORY_LIMIT = 40  # ten years of quarterly reviews
Decision = ReviewItem.Decision


def due_items(today: date | None = None) -> list[CostItem]:
    """The recurring items the bill review walks: those not ended before today, except
    electricity counted from watts (its cost follows the draw and the kWh price, not a bill)."""
    today = today or timezone.localdate()
    from_watts = Q(category=Category.ELECTRICITY) & (Q(watts__isnull=False) | Q(ups__isnull=False))
    return list(
        CostItem.objects.filter(kind=Kind.RECURRING)
        .filter(Q(end__isnull=True) | Q(end__gte=today))
        .exclude(from_watts)
        .prefetch_related(Prefetch("prices", queryset=Price.objects.order_by("since")))
        .order_by("category", "name")
    )


@dataclass(frozen=True)
class ItemDecision:
    item: CostItem
    decision: str  # ReviewItem.Decision
    note: str = ""
    end: date | None = None  # cancel
    amount: Decimal | None = None  # price changed: the new price, in the current price's currency
    since: date | None = None  # price changed: from this day


class DecisionErrors(Exception):
    """Decisions the ledger's rules refused (nothing was written): per item id, the error."""

    def __init__(self, by_item: dict[int, ValidationError]) -> None:
        super().__init__(by_item)
        self.by_item = by_item


def _apply(decision: ItemDecision, today: date) -> None:
    item = decision.item
    if decision.decision == Decision.CANCEL:
        services.item_end(item, end=decision.end or today)
    elif decision.decision == Decision.PRICE_CHANGED:
        if decision.amount is None:
            raise ValidationError({"amount": "Write the new price, like 12.50."})
        since = decision.since or today
        before = figures.price_in_effect(item.prices.all(), since)
        currency, rate = (before.currency, before.rate) if before else ("", None)
        # The price page's rules (two decimals, not before the start), in this transaction.
        services.price_change(item, amount=decision.amount, since=since, currency=currency, rate=rate)


def _close_alerts(now: datetime) -> int:
    return CreepAlert.objects.filter(reviewed=None).update(reviewed=now)


def bill_review_save(
    *, by: User | None, decisions: list[ItemDecision], notes: str = "", today: date | None = None
) -> Review:
    """Write each decision through the ledger's services, then the review with the run rate
    after them as its baseline, then close the open creep alerts: all or nothing. Raises
    DecisionErrors (nothing written) when the ledger refuses a decision."""
    today = today or timezone.localdate()
    with transaction.atomic():
        creep.lock()
        errors: dict[int, ValidationError] = {}
        for decision in decisions:
            try:
                _apply(decision, today)
            except ValidationError as error:
                errors[decision.item.pk] = error
        if errors:
            raise DecisionErrors(errors)  # leaving the atomic block undoes the others
        now = timezone.now()  # after the decisions' rows, so none counts as "since the review"
        review = Review(
            kind=Review.Kind.BILLS,
            created=now,
            by=by,
            baseline=reports.stored(figures.run_rate(today=today).total),
            notes=notes,
        )
        review.full_clean()
        review.save()
        ReviewItem.objects.bulk_create(
            ReviewItem(
                review=review,
                item=decision.item,
                item_name=decision.item.name,
                decision=decision.decision,
                new_amount=decision.amount if decision.decision == Decision.PRICE_CHANGED else None,
                note=decision.note,
            )
            for decision in decisions
        )
        _close_alerts(now)
    return review


def creep_acknowledge(*, by: User | None, today: date | None = None) -> Review | None:
    """ "Mark reviewed": today's run rate becomes the baseline and the open alerts close. None
    when no alert was open (a second click, another tab): nothing is recorded then."""
    today = today or timezone.localdate()
    with transaction.atomic():
        creep.lock()
        now = timezone.now()
        if not _close_alerts(now):
            return None
        baseline = reports.stored(figures.run_rate(today=today).total)
        review = Review(kind=Review.Kind.ACKNOWLEDGED, created=now, by=by, baseline=baseline)
        review.save()
    return review


def history(limit: int | None = HISTORY_LIMIT) -> QuerySet[Review]:
    """The reviews, newest first, with their decisions; every one with `limit=None` (to page)."""
    decisions = ReviewItem.objects.order_by(Lower("item_name"), "pk")  # by name, whatever its case
    found = (
        Review.objects.select_related("by")
        .prefetch_related(Prefetch("items", queryset=decisions))
        .order_by("-created", "-pk")
    )
    return found if limit is None else found[:limit]


# --- the quarterly audit's bill item -------------------------------------------------------------


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def audit_pointer(today: date) -> BillsPointer:
    """This quarter's latest bill review, for the audit form, with the way to the next one."""
    from apps.maintenance.audit import BillsPointer

    start = timezone.make_aware(datetime.combine(quarter_start(today), time.min))
    review = Review.objects.filter(kind=Review.Kind.BILLS, created__gte=start).order_by("-created", "-pk").first()
    if review is None:
        text = f"No bill review this quarter yet (since {quarter_start(today):%-d %B})."
    else:
        when = f"{timezone.localtime(review.created):%-d %B %Y}"
        currency = services.household_currency()
        text = f"Latest bill review this quarter: {when}, baseline {figures.money(review.baseline)} {currency} a month."
    return BillsPointer(
        text=text,
        url=reverse("ledger:review_new"),
        label="Do the bill review" if review is None else "Review the bills again",
        history_url=reverse("ledger:reviews"),
    )
