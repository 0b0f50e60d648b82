"""Reads of runbooks. Every one starts from `readable(user)`: a runbook whose audience the
member's role may not read (Audience.readable_by) does not exist for them, on a page, in a
list, in search, on a service's page or the status board."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone
from django.utils.safestring import SafeString

from apps.accounts.roles import role_of
from apps.core import search as core_search
from apps.runbooks.models import Runbook

SEARCH_FIELDS = ["title", "body"]  # the order weighs: a word in the title counts most


def readable(user: User | AnonymousUser) -> QuerySet[Runbook]:
    # By title whatever the case, on SQLite (binary order: "The UPS" before "The chat") as on Postgres.
    return Runbook.objects.readable_by(role_of(user)).order_by(Lower("title"), "id")


def get_readable(user: User | AnonymousUser, slug: str) -> Runbook:
    """The runbook, or 404 when it does not exist or the member may not read it (the same
    answer, as the chat gives for someone else's conversation)."""
    runbook = readable(user).filter(slug=slug).first()
    if runbook is None:
        raise Http404("No such runbook.")
    return runbook


@dataclass(frozen=True)
class Listed:
    runbook: Runbook
    stale: str  # why it is stale, or ""
    snippet: SafeString | str = ""


def listing(user: User | AnonymousUser, *, tag: str = "", query: str = "", now: datetime | None = None) -> list[Listed]:
    """The list page's rows: readable runbooks, with a tag, matching the words typed (best
    first), each with its stale flag and, for a search, a highlighted line."""
    now = now or timezone.now()
    runbooks = readable(user)
    if tag:
        # JSON containment is Postgres-only and tags are few: filter the readable ones in Python.
        runbooks = runbooks.filter(pk__in=[r.pk for r in runbooks.only("pk", "tags") if tag in r.tags])
    if query.strip():
        runbooks = core_search.search(runbooks, query, fields=SEARCH_FIELDS)
    rows = list(runbooks)
    snippets = core_search.snippets(Runbook.objects.filter(pk__in=[r.pk for r in rows]), query, field="body")
    return [Listed(r, r.stale_reason(now), snippets.get(r.pk, "")) for r in rows]


def search(user: User | AnonymousUser, query: str, *, limit: int) -> list[Listed]:
    """For the navigation's search box (apps/core/finder.py): the best `limit` matches."""
    found = list(core_search.search(readable(user), query, fields=SEARCH_FIELDS)[:limit])
    snippets = core_search.snippets(Runbook.objects.filter(pk__in=[r.pk for r in found]), query, field="body")
    now = timezone.now()
    return [Listed(r, r.stale_reason(now), snippets.get(r.pk, "")) for r in found]


def tags(user: User | AnonymousUser) -> list[str]:
    """Every tag of the runbooks the member reads, for the list's filter."""
    return sorted({tag for tags in readable(user).values_list("tags", flat=True) for tag in tags or []})


def stale(user: User | AnonymousUser, *, now: datetime | None = None) -> list[Listed]:
    now = now or timezone.now()
    return [Listed(r, reason) for r in readable(user) if (reason := r.stale_reason(now))]


def for_services(user: User | AnonymousUser, service_ids: Iterable[int]) -> dict[int, list[Runbook]]:
    """The runbooks linked to each service that the member may read, by service id (for the
    status board's "what to do" and a service's page)."""
    found: dict[int, list[Runbook]] = {}
    links = Runbook.services.through.objects.filter(service_id__in=list(service_ids)).values_list(
        "service_id", "runbook_id"
    )
    pairs = list(links)
    books = readable(user).in_bulk([runbook_id for _, runbook_id in pairs])
    for service_id, runbook_id in pairs:
        if runbook_id in books:
            found.setdefault(service_id, []).append(books[runbook_id])
    for runbooks in found.values():
        runbooks.sort(key=lambda r: (r.title.lower(), r.pk))
    return found
