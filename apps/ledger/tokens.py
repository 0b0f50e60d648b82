"""Cloud token spend, counted at the source: the gateway's audit log, priced (issue 14).

Every morning `ledger.count_tokens` turns each finished day's tokens on every paid backend
(one with a price per million input or output tokens) into one UsageEntry(source=tokens) on
that backend's "Cloud API" cost item, so a habit of using the paid fallback is money on the
ledger the next morning.

The rules, in one place:
- A day is the household's local day (settings.TIME_ZONE), as the usage pages count it.
- Every row whose `backend` names the paid backend counts, whatever its status: a cut-off
  answer still used tokens the provider bills.
- amount = prompt / 1e6 x input price + completion / 1e6 x output price, in the household's
  currency, with today's prices (a backend keeps no price history: set a new price before
  the first day it applies). The exact figure is kept to the column's 4 decimals (half-up):
  at most half a hundredth of a cent a day.
- Each counted day writes one row per paid backend, 0 when nobody used it: the row is the
  record that the day was counted, so the catch-up resumes after the newest one and never
  stalls on a quiet day; and the ledger shows "0.00" rather than nothing, which says the
  counting works. Counting a day again replaces its rows (the unique `token_usage_once`).
- The catch-up counts every finished day after the newest counted one, oldest first, at most
  CATCH_UP_DAYS per run and never before the audit log's retention (older rows are gone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, Min, Q, Sum
from django.utils import timezone

from apps.gateway.models import AuditEntry, Backend
from apps.ledger import creep, figures
from apps.ledger.models import ONE, Category, CostItem, Kind, UsageEntry
from apps.ledger.services import household_currency

MILLION = Decimal(1_000_000)
CATCH_UP_DAYS = 31  # a month of missed mornings per run; the next run goes on from there
STORED = Decimal("0.0001")  # Money.amount has 4 decimal places
ITEM_PREFIX = "Cloud API: "


def token_cost(backend: Backend, prompt: int, completion: int) -> Decimal:
    """What the tokens cost on this backend, exact, in the household's currency."""
    return Decimal(prompt) / MILLION * (backend.price_input_per_m or Decimal(0)) + Decimal(completion) / MILLION * (
        backend.price_output_per_m or Decimal(0)
    )


def paid_backends() -> list[Backend]:
    """Backends with a price (Backend.is_paid, as a query)."""
    return list(Backend.objects.filter(Q(price_input_per_m__gt=0) | Q(price_output_per_m__gt=0)))


def local_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """From the start of `first` to the start of the day after `last`, household time (the
    zone's offsets on each day, so a DST change gives a 23- or 25-hour day)."""
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), datetime.min.time()))
    return start, end


def cloud_item(backend: Backend, *, day: date) -> CostItem:
    """The backend's cloud API item, made on first need (starting on `day`); an item that
    started later is moved back to `day`, so the day's usage counts in its month."""
    item = CostItem.objects.filter(backend=backend).first()
    if item is None:
        taken = set(CostItem.objects.filter(name__startswith=ITEM_PREFIX).values_list("name", flat=True))
        name = f"{ITEM_PREFIX}{backend.name}"
        number = 2
        while name in taken:  # the owner already has an item of that name, for something else
            name, number = f"{ITEM_PREFIX}{backend.name} ({number})", number + 1
        item = CostItem(
            name=name,
            category=Category.CLOUD_API,
            kind=Kind.USAGE,
            start=day,
            backend=backend,
            notes="Counted every morning from the gateway's audit log: tokens on this backend times its prices.",
        )
        item.full_clean()
        item.save()
    elif item.start > day:
        item.start = day
        item.save(update_fields=["start", "updated"])
    return item


def count_day(day: date, *, backends: list[Backend] | None = None) -> list[UsageEntry]:
    """Write (or replace) the day's token usage of every paid backend: one aggregate query
    over the audit log, then one row per backend."""
    backends = paid_backends() if backends is None else backends
    if not backends:
        return []
    start, end = local_bounds(day, day)
    totals = {
        row["backend"]: row
        for row in AuditEntry.objects.filter(
            created__gte=start, created__lt=end, backend__in=[backend.name for backend in backends]
        )
        .values("backend")
        .annotate(prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"))
        .order_by()
    }
    currency = household_currency()
    entries = []
    with transaction.atomic():
        for backend in backends:
            row = totals.get(backend.name, {})
            prompt, completion = row.get("prompt") or 0, row.get("completion") or 0
            amount = token_cost(backend, prompt, completion).quantize(STORED, rounding=ROUND_HALF_UP)
            entry, _ = UsageEntry.objects.update_or_create(
                item=cloud_item(backend, day=day),
                day=day,
                source=UsageEntry.Source.TOKENS,
                defaults={
                    "amount": amount,
                    "currency": currency,
                    "rate": ONE,
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "note": f"{prompt:,} input and {completion:,} output tokens",
                },
            )
            entries.append(entry)
    return entries


def days_to_count(*, today: date | None = None) -> list[date]:
    """The finished days not counted yet, oldest first, at most CATCH_UP_DAYS of them.

    After the newest counted day; with none counted yet, from the first day a paid backend
    appears in the audit log (nothing to count when it never does)."""
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    earliest = today - timedelta(days=settings.GATEWAY_AUDIT_DAYS)
    counted = UsageEntry.objects.filter(source=UsageEntry.Source.TOKENS).aggregate(last=Max("day"))["last"]
    if counted is not None:
        first = counted + timedelta(days=1)
    else:
        names = [backend.name for backend in paid_backends()]
        oldest = AuditEntry.objects.filter(backend__in=names).aggregate(first=Min("created"))["first"]
        if oldest is None:
            return []
        first = timezone.localdate(oldest)
    first = max(first, earliest)
    last = min(yesterday, first + timedelta(days=CATCH_UP_DAYS - 1))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def count_since_last(*, today: date | None = None) -> list[date]:
    """The nightly catch-up (ledger.count_tokens): count the days not counted yet, then let
    the creep check look at the new figures. Safe to run twice: a counted day is skipped,
    and a recount replaces."""
    backends = paid_backends()
    if not backends:
        return []
    days = days_to_count(today=today)
    for day in days:
        count_day(day, backends=backends)
    if days:
        creep.after_change()
    return days


# --- Who used the paid fallback ---------------------------------------------------------------


@dataclass(frozen=True)
class MemberSpend:
    member_id: int | None  # None: a member since removed
    name: str
    prompt_tokens: int
    completion_tokens: int
    amount: Decimal  # exact, household currency: round with figures.cents to show


def cloud_spend_by_member(
    *, month: date | None = None, today: date | None = None, backend: Backend | None = None
) -> list[MemberSpend]:
    """This month's (or `month`'s) spend on paid backends (or on `backend`) per member, straight
    from the audit log with today's prices, so it includes today; most spent first. One
    aggregate query (and one for the names). Members who spent nothing are left out."""
    today = today or timezone.localdate()
    first = figures.month_start(month or today)
    backends = {paid.name: paid for paid in paid_backends() if backend is None or paid.pk == backend.pk}
    if not backends:
        return []
    start, end = local_bounds(first, figures.month_end(first))
    rows = (
        AuditEntry.objects.filter(created__gte=start, created__lt=end, backend__in=list(backends))
        .values("member_id", "backend")
        .annotate(prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"))
        .order_by()
    )
    sums: dict[int | None, list] = {}
    for row in rows:
        spent = sums.setdefault(row["member_id"], [0, 0, Decimal(0)])
        prompt, completion = row["prompt"] or 0, row["completion"] or 0
        spent[0] += prompt
        spent[1] += completion
        spent[2] += token_cost(backends[row["backend"]], prompt, completion)
    names = _names(member_id for member_id in sums if member_id is not None)
    spends = [
        MemberSpend(member_id, names.get(member_id, "(removed member)"), prompt, completion, amount)
        for member_id, (prompt, completion, amount) in sums.items()
    ]
    return sorted(spends, key=lambda spend: (-spend.amount, spend.name))


def _names(ids: Iterable[int]) -> dict[int | None, str]:
    users = get_user_model().objects.filter(pk__in=list(ids))
    return {user.pk: user.get_full_name() or user.get_username() for user in users}
