"""The annual architecture review: one year of the stack, gathered from the apps that own each
part (the gateway's usage, the status board's history, the maintenance budget and skips, the
ledger's figures), and the owner's notes saved as a completion of the annual review task.

The year in progress counts up to the current month; its comparisons with the year before use
the same months of that year, so that a young year does not look like a shrinking one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from apps.core import markdown
from apps.gateway import selectors as gateway
from apps.ledger import figures
from apps.ledger.models import Category, CostItem, LedgerSettings
from apps.maintenance import budget
from apps.maintenance import selectors as maintenance
from apps.maintenance import services as maintenance_services
from apps.maintenance.models import Cadence, Completion, MaintenanceTask
from apps.maintenance.models import Category as TaskCategory
from apps.status import selectors as status

if TYPE_CHECKING:
    from django.contrib.auth.models import User  # settings.AUTH_USER_MODEL

FIRST_YEAR = 2000  # before it, and after next year, the page is "not found"
REVIEW_TITLE = "Annual architecture review"
REVIEW_ESTIMATE = 16 * 60  # a weekend (docs/design: "annual architecture review (a weekend)")
MARKER = re.compile(r"Annual review of (\d{4})\n")


# --- which year ------------------------------------------------------------------------------


def default_year(today: date) -> int:
    """The year a review done today looks back on: last year in January (the year has just
    ended and is reviewed now), else this year (the example holds its review in November)."""
    return today.year - 1 if today.month == 1 else today.year


def year_allowed(year: int, today: date) -> bool:
    return FIRST_YEAR <= year <= today.year + 1


def counted_months(year: int, today: date) -> int:
    """Months of `year` the page counts: 12 for a past year, up to this month for this year,
    none for a year that has not begun."""
    if year < today.year:
        return 12
    return today.month if year == today.year else 0


# --- changes in words ------------------------------------------------------------------------


def percent_change(now: Decimal | int, before: Decimal | int) -> Decimal | None:
    """Whole percent, half-up; None when there was nothing before."""
    if not before:
        return None
    return (Decimal(now - before) * 100 / Decimal(before)).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def change_words(now: Decimal | int, before: Decimal | int) -> str:
    """ "+25%", "-40%", "same", "new" (nothing before), "stopped" (nothing now), "" (neither)."""
    if not now and not before:
        return ""
    if not before:
        return "new"
    if not now:
        return "stopped"
    change = percent_change(now, before)
    if not change:
        return "same"
    return f"+{change}%" if change > 0 else f"{change}%"


def compact(count: int) -> str:
    """Token counts in a narrow cell: 950, 12.3k, 4.5M (half-up to a tenth)."""
    if count < 1000:
        return str(count)
    tenth = Decimal("0.1")
    value = (Decimal(count) / 1000).quantize(tenth, rounding=ROUND_HALF_UP)
    suffix = "k"
    if value >= 1000:  # 999,950 is "1M", not "1000k"
        value, suffix = (Decimal(count) / 1_000_000).quantize(tenth, rounding=ROUND_HALF_UP), "M"
    return f"{value}".removesuffix(".0") + suffix


# --- 1. workloads ----------------------------------------------------------------------------


@dataclass
class Cell:
    requests: int = 0
    tokens: int = 0

    @property
    def tokens_words(self) -> str:
        return compact(self.tokens)


@dataclass
class UsageRow:
    name: str
    months: list[Cell | None]  # 12, None for a month not counted yet
    requests: int = 0
    tokens: int = 0
    before_requests: int = 0  # the same months of the year before
    before_tokens: int = 0

    @property
    def tokens_change(self) -> str:
        return change_words(self.tokens, self.before_tokens)

    @property
    def tokens_words(self) -> str:
        return compact(self.tokens)

    @property
    def requests_change(self) -> str:
        return change_words(self.requests, self.before_requests)

    @property
    def grew(self) -> bool:
        return self.tokens > self.before_tokens


@dataclass
class Workloads:
    by_alias: list[UsageRow]
    by_member: list[UsageRow]
    requests: int
    tokens: int
    before_tokens: int

    @property
    def empty(self) -> bool:
        return not self.by_alias

    @property
    def grew(self) -> list[UsageRow]:
        rows = [row for row in self.by_alias if row.tokens > row.before_tokens]
        return sorted(rows, key=lambda row: row.before_tokens - row.tokens)[:3]

    @property
    def shrank(self) -> list[UsageRow]:
        rows = [row for row in self.by_alias if row.tokens < row.before_tokens]
        return sorted(rows, key=lambda row: row.tokens - row.before_tokens)[:3]

    @property
    def tokens_change(self) -> str:
        return change_words(self.tokens, self.before_tokens)

    @property
    def tokens_words(self) -> str:
        return compact(self.tokens)


def workloads(year: int, counted: int) -> Workloads:
    """Requests and tokens per alias and per member, month by month, against the same months
    of the year before: one query for both years."""
    usage = gateway.monthly_usage(first=date(year - 1, 1, 1), last=date(year, 12, 31))
    rows: dict[str, dict[str, UsageRow]] = {"alias": {}, "member": {}}
    for entry in usage:
        if entry.month.month > counted:
            continue
        for kind, name in (("alias", entry.alias), ("member", entry.member)):
            row = rows[kind].get(name)
            if row is None:
                row = rows[kind][name] = UsageRow(name, [Cell() if m < counted else None for m in range(12)])
            if entry.month.year == year:
                cell = row.months[entry.month.month - 1]
                assert cell is not None  # counted months have cells
                cell.requests += entry.requests
                cell.tokens += entry.tokens
                row.requests += entry.requests
                row.tokens += entry.tokens
            else:
                row.before_requests += entry.requests
                row.before_tokens += entry.tokens

    def ordered(found: dict[str, UsageRow]) -> list[UsageRow]:
        return sorted(found.values(), key=lambda row: (-row.tokens, -row.before_tokens, row.name))

    by_alias = ordered(rows["alias"])
    return Workloads(
        by_alias=by_alias,
        by_member=ordered(rows["member"]),
        requests=sum(row.requests for row in by_alias),
        tokens=sum(row.tokens for row in by_alias),
        before_tokens=sum(row.before_tokens for row in by_alias),
    )


# --- 2. uptime -------------------------------------------------------------------------------


def uptime(year: int, *, now: datetime) -> list[status.ServiceYear]:
    start, end = budget.year_bounds(year)
    return status.span_uptime(start=start, end=end, now=now)


# --- 3. maintenance --------------------------------------------------------------------------


@dataclass
class Maintenance:
    budget: budget.Budget
    skipped: list  # maintenance.models.Occurrence, oldest first


def maintenance_year(year: int, *, now: datetime) -> Maintenance:
    return Maintenance(
        budget=budget.year_budget(year, now=now),
        skipped=maintenance.skipped(first=date(year, 1, 1), last=date(year, 12, 31)),
    )


# --- 4. costs --------------------------------------------------------------------------------


@dataclass
class CostRow:
    label: str
    amount: Decimal  # unrounded; shown through money(), which rounds
    before: Decimal
    currency: str

    @property
    def amount_words(self) -> str:
        return figures.money(self.amount, self.currency)

    @property
    def before_words(self) -> str:
        return figures.money(self.before, self.currency)

    @property
    def change_money(self) -> str:
        return figures.money(self.change, self.currency, sign=True)

    @property
    def change(self) -> Decimal:
        return self.amount - self.before

    @property
    def change_words(self) -> str:
        return change_words(self.amount, self.before)


@dataclass
class Costs:
    currency: str
    rows: list[CostRow]  # categories with an amount in either year, in Category order
    total: CostRow
    ledger_empty: bool  # no cost items at all

    @property
    def empty(self) -> bool:
        return not self.rows


def costs(year: int, counted: int, *, today: date) -> Costs:
    """The year's costs by category (figures.months, summed) against the same months of the
    year before, in one call of figures.months for both years."""
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    before: dict[str, Decimal] = defaultdict(Decimal)
    if counted:
        months = figures.months(date(year - 1, 1, 1), date(year, counted, 1), today=today)
        for month in months[:counted]:
            for category, amount in month.by_category.items():
                before[category] += amount
        for month in months[12:]:
            for category, amount in month.by_category.items():
                amounts[category] += amount
    currency = LedgerSettings.load().currency
    rows = [
        CostRow(str(label), amounts[value], before[value], currency)
        for value, label in Category.choices
        if amounts[value] or before[value]
    ]
    total = CostRow("All", sum(amounts.values(), Decimal(0)), sum(before.values(), Decimal(0)), currency)
    return Costs(
        currency=currency,
        rows=rows,
        total=total,
        ledger_empty=not CostItem.objects.exists(),
    )


# --- 5. the owner's notes --------------------------------------------------------------------


def marker(year: int) -> str:
    """The first line of a review's notes: which year it reviews (a review of 2025 is often
    written in January 2026, so the completion's date cannot say)."""
    return f"Annual review of {year}\n\n"


@dataclass
class Note:
    completion: Completion
    html: SafeString
    text: str  # the owner's words, without the marker


def _note(completion: Completion, prefix: str = "") -> Note:
    text = completion.notes.removeprefix(prefix).strip()
    return Note(completion, mark_safe(markdown.render(text)), text)  # noqa: S308 (sanitised by markdown.render)


@dataclass
class Notes:
    tasks: list[MaintenanceTask]  # the household's annual review tasks
    saved: list[Note]  # saved from this page for the year, newest first
    elsewhere: list[Note] = field(default_factory=list)  # completed on the maintenance page in the year

    @property
    def latest(self) -> Note | None:
        return self.saved[0] if self.saved else None

    @property
    def earlier(self) -> list[Note]:
        return self.saved[1:]


def review_window(year: int) -> tuple[datetime, datetime]:
    """When a review of `year` recorded on the maintenance page (without the marker) was done:
    from 1 February of that year to the end of the next January, in the household's zone (a
    review done in January looks back on the year before: default_year)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(date(year, 2, 1), time(), zone), datetime.combine(date(year + 1, 2, 1), time(), zone)


def notes(year: int) -> Notes:
    tasks = maintenance.annual_review_tasks()
    ids = [task.pk for task in tasks]
    prefix = marker(year)
    saved = [_note(c, prefix) for c in maintenance.completions_with_notes(ids, starting=prefix)]
    start, end = review_window(year)
    elsewhere = [
        _note(c) for c in maintenance.completions_between(ids, start=start, end=end) if not MARKER.match(c.notes)
    ]
    return Notes(tasks=tasks, saved=saved, elsewhere=elsewhere)


def notes_save(
    *, year: int, text: str, by: User, task: MaintenanceTask | None, minutes: int | None, earlier: Completion | None
) -> Completion:
    """Record the review of `year` as a completion of `task` (creating the household's annual
    review task when it has none). Every save adds a completion, as every completion in
    maintenance is a record kept: the page shows the newest. A save after the first records
    no time unless given (its minutes are 0, not the task's estimate: the work was counted once).

    The occurrence it completes: the one waiting now when that falls on or before the year's
    end (this review was due), else none of the schedule's (31 December of the year: a review
    of a past year recorded late leaves the next one where it is)."""
    if task is None:
        task = maintenance_services.task_save(
            MaintenanceTask(
                title=REVIEW_TITLE,
                description="Is the stack still the right size? What costs too much time or money? What would we drop?",
                category=TaskCategory.REVIEW,
                cadence=Cadence.ANNUALLY,
                starts=timezone.localdate(),
                estimate_minutes=REVIEW_ESTIMATE,
            )
        )
    waiting = maintenance_services.current_due(task)
    year_end = date(year, 12, 31)
    due = waiting if waiting is not None and waiting <= year_end else year_end
    if earlier is not None:
        due = earlier.due or year_end
        minutes = minutes or 0
    return maintenance_services.task_complete(task, by=by, notes=marker(year) + text.strip(), minutes=minutes, due=due)


# --- the page --------------------------------------------------------------------------------


@dataclass
class Review:
    year: int
    today: date
    counted: int  # months of the year counted
    workloads: Workloads
    uptime: list[status.ServiceYear]
    maintenance: Maintenance
    costs: Costs
    notes: Notes

    @property
    def in_progress(self) -> bool:
        return 0 < self.counted < 12

    @property
    def not_begun(self) -> bool:
        return self.counted == 0

    @property
    def month_names(self) -> list[str]:
        return [f"{date(self.year, m, 1):%b}" for m in range(1, 13)]

    @property
    def last_month(self) -> str:
        """The last month counted, by name: "March"."""
        return f"{date(self.year, max(self.counted, 1), 1):%B}"

    @property
    def compared_with(self) -> str:
        """What the changes compare with: "2024", or "January to March 2024"."""
        if self.counted >= 12:
            return str(self.year - 1)
        if self.counted == 1:
            return f"January {self.year - 1}"
        return f"January to {date(self.year - 1, self.counted, 1):%B} {self.year - 1}"

    @property
    def has_previous(self) -> bool:
        return self.year > FIRST_YEAR

    @property
    def has_next(self) -> bool:
        return self.year < self.today.year + 1

    @property
    def empty(self) -> bool:
        """Nothing at all was recorded for the year."""
        return (
            self.workloads.empty
            and not self.uptime
            and not self.maintenance.budget.total.completions
            and not self.maintenance.skipped
            and not any(row.amount for row in self.costs.rows)
            and not self.notes.saved
            and not self.notes.elsewhere
        )


def review(year: int, *, now: datetime | None = None) -> Review:
    now = now or timezone.now()
    today = timezone.localdate(now)
    counted = counted_months(year, today)
    return Review(
        year=year,
        today=today,
        counted=counted,
        workloads=workloads(year, counted),
        uptime=uptime(year, now=now),
        maintenance=maintenance_year(year, now=now),
        costs=costs(year, counted, today=today),
        notes=notes(year),
    )
