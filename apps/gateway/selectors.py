"""Reads for the gateway's pages: the owner's overview, a member's keys and budget, usage."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.accounts.roles import Role, role_of
from apps.core.wording import and_list
from apps.gateway import audit, policy, services, snapshot
from apps.gateway.models import AuditEntry, Backend, Endpoint, Policy, Route, UsageDay
from apps.status.selectors import BADGE

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User  # settings.AUTH_USER_MODEL

# Days the hourly rollup (audit.rollup_and_prune) looks back over: a day inside it without
# rows may not be rolled up yet, so it is read from the audit log instead.
ROLLUP_DAYS = 3


@dataclass
class BackendRow:
    backend: Backend
    badge: str
    missing: list[str]
    routes: list[str]
    key_env_unset: bool
    prices: str = ""  # "0.15 / 0.60" per million input / output tokens, for a paid backend


def price_text(price: Decimal | None) -> str:
    """0.1500 as 0.15, 2.0000 as 2 (a price is stored with 4 decimals)."""
    return f"{(price or Decimal(0)).normalize():f}"


def backends() -> list[BackendRow]:
    rows = []
    for backend in Backend.objects.select_related("service").prefetch_related("targets__route"):
        rows.append(
            BackendRow(
                backend=backend,
                badge=BADGE.get(backend.service.state, "") if backend.service is not None else "",
                missing=services.missing_models(backend),
                routes=sorted({t.route.alias for t in backend.targets.all()}),
                # Only whether the variable is set, never its value.
                key_env_unset=bool(backend.api_key_env) and not os.environ.get(backend.api_key_env, "").strip(),
                prices=(
                    f"{price_text(backend.price_input_per_m)} / {price_text(backend.price_output_per_m)}"
                    if backend.is_paid
                    else ""
                ),
            )
        )
    return rows


def routes(backend_rows: list[BackendRow]) -> list[tuple[Route, list[tuple]]]:
    """Each route with its targets in order, each marked when its backend does not list the model."""
    missing = {row.backend.pk: set(row.missing) for row in backend_rows}
    result = []
    for route in Route.objects.prefetch_related("targets__backend"):
        targets = [(t, t.model in missing.get(t.backend_id, ())) for t in route.targets.all()]
        result.append((route, targets))
    return result


def policies() -> list[Policy]:
    return list(Policy.objects.select_related("member").order_by("member__username", "role"))


def settings_changes(limit: int = 5) -> list[AuditEntry]:
    """Who switched content logging, and when (services.gateway_settings_log_content writes these)."""
    return list(AuditEntry.objects.filter(endpoint=Endpoint.SETTINGS).order_by("-created")[:limit])


def known_models(backends: list[Backend]) -> list[tuple[str, str]]:
    """Every model name the backends last offered, each with the backends that offer it
    ("on studio and macbook"): the route form's suggestions when JavaScript cannot narrow
    them to the chosen backend (static/js/gateway.js)."""
    offered_by: dict[str, list[str]] = defaultdict(list)
    for backend in backends:
        for name in backend.model_names or []:
            offered_by[name].append(backend.name)
    return [(name, f"on {and_list(offered_by[name])}") for name in sorted(offered_by)]


# --- A member's allowance ------------------------------------------------------------------


@dataclass
class Allowance:
    aliases: list[snapshot.RouteInfo]
    daily_tokens: int | None
    used_today: int
    max_streams: int | None
    quiet: tuple | None  # (from, until)
    resets_at: datetime

    @property
    def left_today(self) -> int | None:
        return None if self.daily_tokens is None else max(0, self.daily_tokens - self.used_today)

    @property
    def used_share(self) -> int:
        return min(100, round(100 * self.used_today / self.daily_tokens)) if self.daily_tokens else 0


def allowance(user: User, *, now: datetime | None = None) -> Allowance:
    """What the gateway lets this member do, as the request path sees it (the snapshot)."""
    now = now or timezone.now()
    snap = snapshot.current_sync()
    role = role_of(user)
    effective = snap.policy_for(user.pk, role)
    who = snapshot.Identity(user.pk, user.get_username(), role)
    quiet = (effective.quiet_from, effective.quiet_until) if effective.quiet_from and effective.quiet_until else None
    return Allowance(
        aliases=policy.allowed_aliases(snap, who),
        daily_tokens=effective.daily_tokens,
        used_today=policy.tokens_used_sync(user.pk, now),
        max_streams=effective.max_streams,
        quiet=quiet,
        resets_at=policy.next_midnight(now),
    )


def default_policy_text() -> str:
    """What roles without a policy row get (snapshot.DEFAULT_POLICIES), in words."""
    free = [r.label.lower() for r, p in snapshot.DEFAULT_POLICIES.items() if p.aliases is None]
    barred = [r.label.lower() for r, p in snapshot.DEFAULT_POLICIES.items() if p.aliases == frozenset()]
    text = f"Without a policy, the {' and the '.join(free)} may use every model without limits"
    return text + (f"; a {' or a '.join(barred)} may use none." if barred else ".")


# --- Usage ---------------------------------------------------------------------------------


@dataclass
class Totals:
    requests: int = 0
    errors: int = 0
    fallbacks: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, row: UsageDay) -> None:
        self.requests += row.requests
        self.errors += row.errors
        self.fallbacks += row.fallbacks
        self.prompt_tokens += row.prompt_tokens
        self.completion_tokens += row.completion_tokens

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class Usage:
    start: date
    end: date
    rows: list[UsageDay]  # newest day first, then member, then alias
    names: dict[int | None, str]
    total: Totals = field(default_factory=Totals)
    by_member: list[tuple[str, Totals]] = field(default_factory=list)
    by_alias: list[tuple[str, Totals]] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)


@dataclass
class Bar:
    """One day in the tokens-per-day chart: heights in percent of the busiest day."""

    day: date
    tokens: int
    height: float

    @property
    def top(self) -> float:
        return 100 - self.height


def _live_days(start: date, end: date, today: date) -> list[date]:
    """Days read from the audit log: today, and recent days the rollup has not written yet."""
    days = [today] if start <= today <= end else []
    recent = [today - timedelta(days=back) for back in range(1, ROLLUP_DAYS + 1)]
    recent = [day for day in recent if start <= day <= end]
    rolled = set(UsageDay.objects.filter(day__in=recent).values_list("day", flat=True).distinct())
    return days + [day for day in recent if day not in rolled]


def usage(*, start: date, end: date, member_id: int | None = None, today: date | None = None) -> Usage:
    """Tokens, requests, errors, fallbacks and first-token latency by day, member and alias.
    `member_id` None: everyone (the owner's view)."""
    today = today or timezone.localdate()
    live = _live_days(start, end, today)
    stored = UsageDay.objects.filter(day__gte=start, day__lte=end).exclude(day__in=live)
    if member_id is not None:
        stored = stored.filter(member_id=member_id)
    rows = list(stored)
    for day in live:
        rows += [row for row in audit.usage_rows(day) if member_id is None or row.member_id == member_id]
    ids = {row.member_id for row in rows}
    names: dict[int | None, str] = dict(
        get_user_model().objects.filter(pk__in=ids - {None}).values_list("pk", "username")
    )
    names[None] = "(removed member)"
    rows.sort(key=lambda r: (-r.day.toordinal(), names.get(r.member_id, ""), r.alias))
    result = Usage(start=start, end=end, rows=rows, names=names)
    members: dict[str, Totals] = defaultdict(Totals)
    aliases: dict[str, Totals] = defaultdict(Totals)
    for row in rows:
        row.member_name = names.get(row.member_id, "(removed member)")
        result.total.add(row)
        members[row.member_name].add(row)
        aliases[row.alias].add(row)
    result.by_member = sorted(members.items(), key=lambda item: -item[1].tokens)
    result.by_alias = sorted(aliases.items(), key=lambda item: -item[1].tokens)
    result.bars = _bars(rows, start, min(end, today))
    return result


def _bars(rows: list[UsageDay], start: date, end: date) -> list[Bar]:
    tokens: dict[date, int] = defaultdict(int)
    for row in rows:
        tokens[row.day] += row.prompt_tokens + row.completion_tokens
    most = max(tokens.values(), default=0) or 1
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    # An empty day still gets a sliver, so the chart shows that it was counted.
    return [Bar(day, tokens[day], max(1.0, round(100 * tokens[day] / most, 1))) for day in days]


def sees_everyone(user: User | AnonymousUser) -> bool:
    return role_of(user) == Role.OWNER


def grants_a_model(user: User | AnonymousUser) -> bool:
    """Whether the member's policy lets them use any model: API keys and Usage are of no use
    to a member without one, so the account menu leaves them out (the owner always sees Usage)."""
    snap = snapshot.current_sync()
    return bool(policy.allowed_aliases(snap, snapshot.identity_for(user)))


# --- Months (the ledger's annual review) ------------------------------------------------------


@dataclass(frozen=True)
class MonthUsage:
    """One member's use of one alias in one month, summed from the daily rollups."""

    month: date  # its first day
    alias: str
    member: str  # username, or "(removed member)"
    requests: int
    tokens: int  # prompt + completion


def monthly_usage(*, first: date, last: date) -> list[MonthUsage]:
    """Requests and tokens per month, alias and member from `first` to `last` (days), in one
    aggregate query over UsageDay. Days the hourly rollup has not written yet (the last hours)
    are not in it: a year's figures do not need them."""
    rows = (
        UsageDay.objects.filter(day__gte=first, day__lte=last)
        .annotate(month=TruncMonth("day"))
        .values("month", "alias", "member__username")
        .annotate(requests=Sum("requests"), prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"))
        .order_by("month", "alias", "member__username")
    )
    result = []
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, datetime) else month
        result.append(
            MonthUsage(
                month=month,
                alias=row["alias"] or "(no alias)",
                member=row["member__username"] or "(removed member)",
                requests=row["requests"] or 0,
                tokens=(row["prompt"] or 0) + (row["completion"] or 0),
            )
        )
    return result
