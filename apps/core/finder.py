"""The navigation's search box (/search/): each app registers a search source in its own
`panels.py` (like dashboard panels and menu items), so core names no feature app. A source
finds, for the member asking, at most a few of its own things: runbooks the member may read,
the member's own conversations. Each source decides who may see what (its own selectors);
core only asks the sources whose capability the member has.

Sources search through apps/core/search.py (ranked and highlighted on Postgres), so a hit's
snippet is safe HTML (escaped text and <mark>)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.utils.safestring import SafeString

from apps.accounts.roles import CAPABILITIES, can

QUERY_LIMIT = 200  # characters of a query: a search box, not a document
PER_SOURCE = 8  # hits per source on /search/; each source links to its own page for more


@dataclass(frozen=True)
class Hit:
    title: str
    url: str
    snippet: SafeString | str = ""
    badge: str = ""  # a word beside the title ("stale")


@dataclass(frozen=True)
class Source:
    """`find(request, query, limit)` gives the member's best hits, best first; `more(query)`
    the URL of the source's own search page with the query, or "" when it has none."""

    name: str
    label: str
    order: int
    capability: str
    find: Callable[[HttpRequest, str, int], list[Hit]]
    more: Callable[[str], str] = field(default=lambda query: "")


@dataclass(frozen=True)
class Found:
    source: Source
    hits: list[Hit]
    more_url: str


_SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    if source.capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {source.capability!r} for the {source.name} search source.")
    _SOURCES[source.name] = source


def unregister(name: str) -> None:
    _SOURCES.pop(name, None)


def sources() -> list[Source]:
    return sorted(_SOURCES.values(), key=lambda s: (s.order, s.name))


def search(request: HttpRequest, query: str, *, limit: int = PER_SOURCE) -> list[Found]:
    """What each source the member may use finds, in the sources' order (empty ones too, so
    the page can say where it looked)."""
    query = query.strip()[:QUERY_LIMIT]
    if not query:
        return []
    return [
        Found(source, source.find(request, query, limit), source.more(query))
        for source in sources()
        if can(request.user, source.capability)
    ]
