"""Cost creep: the run rate against the last reviewed baseline (issue 14).

Every write service calls `after_change()`, which queues one `ledger.check_creep` task for
after the commit; beat also runs it monthly (homeops/settings.py), and the token import after
the nightly usage. `check()` opens a CreepAlert for each finding since the newest Review:
- the run rate grew by more than LedgerSettings.creep_percent (strictly more) over its baseline;
- a new recurring item was created;
- a price was added that is not its item's first (a price change).
Without any review there is no baseline, and nothing to compare: the overview asks for the
first bill review instead. The partial unique constraint on CreepAlert.key (open alerts only)
makes each finding alert once, however many checks run at once; the new alerts go as one
message (`send`) to the enabled channels that subscribe to `cost` (the owner ticks it on a
channel only the owner reads: the message carries the household's cost figures). A review
(reviews.py) closes the open alerts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apps.ledger import figures, reports
from apps.ledger.models import CostItem, CreepAlert, LedgerSettings, Review
from apps.notify.events import Event
from apps.notify.models import COST
from apps.notify.services import Planned, for_channels

log = logging.getLogger(__name__)
CHECK_EXPIRES = 3600.0  # a check still queued after an hour is superseded by a newer one


def grew(run_rate: Decimal, baseline: Decimal, percent: Decimal) -> bool:
    """More than `percent` above the baseline (exactly at it is not creep). Exact: no division,
    so a zero baseline that now costs something has grown."""
    return (run_rate - baseline) * 100 > baseline * percent


def lock() -> LedgerSettings:
    """Serialises the check with a review (Postgres; SQLite serialises writes anyway), so a
    check that read the old review cannot open an alert the new review has just closed."""
    LedgerSettings.load()
    return LedgerSettings.objects.select_for_update().get(pk=1)


@dataclass(frozen=True)
class Finding:
    reason: str
    key: str
    message: str


def _day(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%-d %B %Y}"


def findings(changes: reports.Changes, *, month: figures.Month, percent: Decimal) -> list[Finding]:
    """What is worth an alert in `changes` (`month`: this month's figures), in words."""
    out = []
    review = changes.review
    if grew(changes.run_rate, review.baseline, percent):
        out.append(Finding(CreepAlert.Reason.GROWTH, "growth", changes.sentence))
    for item in changes.new_recurring:
        amount = month.amount_of(item.pk)
        cost = f" ({figures.money(amount)} a month)" if amount else ""
        out.append(
            Finding(
                CreepAlert.Reason.NEW_ITEM,
                f"new_item:{item.pk}",
                f"New recurring cost since the review of {_day(review.created)}: {item.name}{cost}.",
            )
        )
    for change in changes.price_changes:
        before = f"{figures.money(change.before.amount)} {change.before.currency}" if change.before else "its old price"
        now = f"{figures.money(change.price.amount)} {change.price.currency}"
        out.append(
            Finding(
                CreepAlert.Reason.PRICE_CHANGE,
                f"price:{change.price.pk}",
                f"{change.item.name} changed its price from {before} to {now} on {change.price.since:%-d %B %Y}.",
            )
        )
    return out


def _open(finding: Finding, *, changes: reports.Changes, now: datetime) -> CreepAlert | None:
    """The alert, when no open one has its key yet. A second check racing this one fails the
    partial unique constraint and opens nothing (the savepoint keeps the transaction usable)."""
    open_alert = CreepAlert.objects.filter(key=finding.key, reviewed=None).first()
    if open_alert is not None:
        if finding.reason == CreepAlert.Reason.GROWTH:  # still growing: say where it stands now
            CreepAlert.objects.filter(pk=open_alert.pk).update(
                message=finding.message[:300], run_rate=reports.stored(changes.run_rate)
            )
        return None
    alert = CreepAlert(
        created=now,
        reason=finding.reason,
        key=finding.key,
        message=finding.message[:300],
        run_rate=reports.stored(changes.run_rate),
        baseline=changes.review.baseline,
    )
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:
        return None
    return alert


def check(*, today: date | None = None) -> list[CreepAlert]:
    """Open an alert for each new finding since the newest review; the alerts it opened."""
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        settings = lock()
        review = reports.latest_review()
        if review is None:
            return []
        month = figures.run_rate(today=today)
        changes = reports.changes_since(review, run_rate=month.total, today=today)
        found = findings(changes, month=month, percent=settings.creep_percent)
        opened = [_open(finding, changes=changes, now=now) for finding in found]
    return [alert for alert in opened if alert is not None]


def event(alerts: list[CreepAlert], *, now: datetime) -> Event:
    """One message for a check's new alerts."""
    title = "Costs crept up" if len(alerts) > 1 else f"Costs crept up: {alerts[0].get_reason_display().lower()}"
    lines = "\n".join(f"- {alert.message}" for alert in alerts)
    text = f"{lines}\nOpen {reverse('ledger:index')} to look, then mark them reviewed or do the bill review."
    return Event(kind=COST, title=title, text=text, created=now.isoformat())


def send(alerts: list[CreepAlert], *, now: datetime | None = None) -> list[Planned]:
    """The (channel, message) pairs for notify.deliver, for the channels that subscribe to
    `cost`; nothing when no alert is new."""
    if not alerts:
        return []
    now = now or timezone.now()
    return for_channels(event(alerts, now=now), now=now)


def check_and_send(*, today: date | None = None) -> list[Planned]:
    """What the task runs: the check, then one message about what it found."""
    return send(check(today=today))


def never_reviewed() -> bool:
    """Costs are entered but no review has set a baseline, so creep cannot be measured yet:
    the owner's dashboard asks for the first bill review (an owner who never reviews would
    otherwise never hear of creep)."""
    return CostItem.objects.exists() and not Review.objects.exists()


def open_alerts() -> list[CreepAlert]:
    return list(CreepAlert.objects.filter(reviewed=None).order_by("created", "pk"))


# --- after every change --------------------------------------------------------------------------


def _queue_check() -> None:
    from apps.ledger.tasks import check_creep  # tasks.py imports this module

    reports.retire_closed_months()  # after the commit: see reports.forget_closed_months
    # No retries: a broker that is down must not hold up the write that asked; the monthly
    # check (and the next change) will look again.
    check_creep.apply_async(expires=CHECK_EXPIRES, retry=False)


def after_change() -> None:
    """Called by every ledger write service (and by tokens.py after the nightly usage): one
    check after the commit, however many rows the transaction wrote, none if it rolls back.
    A failure to queue it is logged (robust), never raised into the write. The overview's
    kept figures of the closed months go too, now and after the commit."""
    reports.retire_closed_months()
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(callback is _queue_check for _, callback, _ in connection.run_on_commit):
        return
    transaction.on_commit(_queue_check, robust=True)
