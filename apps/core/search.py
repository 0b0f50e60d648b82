"""One search for every searchable thing (chat now, runbooks next).

On Postgres: full-text search. A row's *document* is `to_tsvector` over the fields it is
searched by (the first field weighs most: weights A, B, C, D), the words typed are read by
`websearch_to_tsquery` (all words must appear; "quoted phrase", `or`, `-word` work; nothing a
member types is a syntax error), rows are ranked with `ts_rank`, and snippets come from
`ts_headline`, asked only for the rows a page shows. A GIN index on the same document
expression (`CreateSearchIndex`, in the app's migration) makes the match an index lookup; the
query and the index build the expression with the same `document()`, so they cannot drift
apart (Postgres uses an expression index only for the identical expression).

Elsewhere (SQLite): every word or "quoted phrase" must appear in one of the fields and no
`-word` may (`icontains`, so part of a word is enough), no ranking, and snippets are cut in
Python around the first word found.

Snippets are safe to put in a page: the text is escaped and only our own `<mark>` is markup.

    found = search.search(Runbook.objects.all(), "backup restore", fields=["title", "body"])
    page = search.Paginator(found, 30).get_page(request.GET.get("page"))
    snippets = search.snippets(Runbook.objects.filter(pk__in=[r.pk for r in page]), query, field="body")
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any, TypeVar

from django.contrib.postgres.indexes import GinIndex
from django.core.paginator import Page
from django.core.paginator import Paginator as DjangoPaginator
from django.db import connections, models
from django.db.migrations.operations.base import Operation
from django.db.models import Count, F, Func, Q, QuerySet, Value, Window
from django.db.models.expressions import Combinable
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

M = TypeVar("M", bound=models.Model)

# The text-search configuration (stemming, stop words) of every document and query. The
# indexes are built with it: changing it means rebuilding them (drop and create again).
CONFIG = "english"
WEIGHTS = "ABCD"
RANK = "search_rank"  # the annotation `search()` adds

# ts_headline marks matches with these; they cannot come from the text (removed from it
# first), and escaping leaves them alone, so they become <mark> after the text is escaped.
_START, _STOP = "\x02", "\x03"
HEADLINE_OPTIONS = (
    f'StartSel={_START}, StopSel={_STOP}, MaxFragments=2, MinWords=6, MaxWords=18, FragmentDelimiter=" … "'
)
SNIPPET_CHARS = 160  # the SQLite fallback's window


# --- Postgres expressions ------------------------------------------------------------------


class _Weighted(Func):
    template = f"setweight(to_tsvector('{CONFIG}'::regconfig, COALESCE(%(expressions)s, '')), '%(weight)s')"


class _Document(Func):
    arg_joiner = " || "
    template = "(%(expressions)s)"
    output_field = models.TextField()  # a tsvector; only Postgres ever sees it


class _Query(Func):
    template = f"websearch_to_tsquery('{CONFIG}'::regconfig, %(expressions)s)"
    output_field = models.TextField()


class _Matches(Func):
    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = models.BooleanField()


class _Rank(Func):
    function = "ts_rank"
    output_field = models.FloatField()


def _headline(field: str, query: str) -> Func:
    # The text is HTML-escaped before ts_headline sees it, so that it shows `<b>` as words
    # instead of dropping it as a tag; _marked() unescapes and escapes again.
    text = Func(F(field), Value(_START + _STOP), Value(""), function="translate", output_field=models.TextField())
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = Func(text, Value(raw), Value(entity), function="replace", output_field=models.TextField())
    return Func(
        text,
        _Query(Value(query)),
        Value(HEADLINE_OPTIONS),
        template=f"ts_headline('{CONFIG}'::regconfig, %(expressions)s)",
        output_field=models.TextField(),
    )


def document(fields: Sequence[str]) -> Func:
    """The searchable text of a row as a tsvector: the first field weighs most. The query and
    the GIN index both come from here."""
    if not 1 <= len(fields) <= len(WEIGHTS):
        raise ValueError(f"search over 1 to {len(WEIGHTS)} fields, not {len(fields)}")
    return _Document(*(_Weighted(F(name), weight=weight) for name, weight in zip(fields, WEIGHTS, strict=False)))


# --- What pages and services call -----------------------------------------------------------


_TERM = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')


def terms(query: str) -> list[tuple[str, bool]]:
    """The fallback's reading of a query: (text, excluded) for each word or "quoted phrase";
    a leading minus excludes. `or` and bare punctuation are dropped: the fallback has only
    "all of these"."""
    found = []
    for minus, phrase, word in _TERM.findall(query):
        text = (phrase if phrase else word.strip('"')).strip()
        if any(ch.isalnum() for ch in text) and not (word and text.lower() == "or"):
            found.append((text, bool(minus)))
    return found


def words(query: str) -> list[str]:
    """The words and phrases a fallback snippet marks (not the excluded ones)."""
    return [text for text, excluded in terms(query) if not excluded]


def _postgres(queryset: QuerySet[Any]) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def condition(queryset: QuerySet[Any], query: str, *, fields: Sequence[str]) -> Q:
    """The filter "these fields of the row match the query", for the queryset's database."""
    if _postgres(queryset):
        return Q(_Matches(document(fields), _Query(Value(query))))
    if not words(query):
        return Q(pk__in=[])  # like Postgres for a query of no words (or only excluded ones): nothing
    found = Q()
    for text, excluded in terms(query):
        anywhere = Q(*[(f"{name}__icontains", text) for name in fields], _connector=Q.OR)
        found &= ~anywhere if excluded else anywhere
    return found


def matches(queryset: QuerySet[M], query: str, *, fields: Sequence[str]) -> QuerySet[M]:
    """The rows whose fields match, unranked: for a subquery (`Exists(...)`) or a count."""
    return queryset.filter(condition(queryset, query, fields=fields))


def search(
    queryset: QuerySet[M], query: str, *, fields: Sequence[str], or_where: Q | Combinable | None = None
) -> QuerySet[M]:
    """The rows whose fields match `query` (or for which `or_where` holds, e.g. an `Exists`
    over related rows), best first: annotated with `search_rank` (0 on SQLite, and for rows
    found only through `or_where`), ties in the queryset's own order. A blank query filters
    nothing."""
    if not query.strip():
        return queryset
    found = condition(queryset, query, fields=fields)
    if or_where is not None:
        found |= Q(or_where)
    if _postgres(queryset):
        rank: Combinable = _Rank(document(fields), _Query(Value(query)))
    else:
        rank = Value(0.0, output_field=models.FloatField())
    ordering = list(queryset.query.order_by or queryset.model._meta.ordering or ())
    return queryset.filter(found).annotate(**{RANK: rank}).order_by(f"-{RANK}", *ordering)


def snippets(queryset: QuerySet[Any], query: str, *, field: str, key: str = "pk") -> dict[Any, SafeString]:
    """Highlighted extracts of `field` for the rows of `queryset`, by `key`, in one query.
    Give it only the rows a page shows: ts_headline reads each row's whole text."""
    if not query.strip():
        return {}
    if _postgres(queryset):
        rows = queryset.annotate(_headline=_headline(field, query)).values_list(key, "_headline")
        return {k: _marked(raw) for k, raw in rows}
    return {k: excerpt(text or "", query) for k, text in queryset.values_list(key, field)}


def _marked(raw: str) -> SafeString:
    # ts_headline got escaped text; unescaping gives the member's text back exactly, and
    # escaping it again is what makes it safe, whatever the SQL did.
    text = escape(html.unescape(raw))
    return mark_safe(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308 (escaped above)


def excerpt(text: str, query: str, *, size: int = SNIPPET_CHARS) -> SafeString:
    """The fallback's snippet: about `size` characters around the first word of the query
    found in `text`, every occurrence of a word marked. Built from escaped parts."""
    found = words(query)
    if not found or not text:
        return SafeString("")
    pattern = re.compile("|".join(re.escape(w) for w in sorted(found, key=len, reverse=True)), re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - size // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + size // 2 else end
    window = text[start:end]
    parts, last = [], 0
    for hit in pattern.finditer(window):
        parts += [escape(window[last : hit.start()]), "<mark>", escape(hit.group()), "</mark>"]
        last = hit.end()
    parts.append(escape(window[last:]))
    return mark_safe(("… " if start else "") + "".join(parts) + (" …" if end < len(text) else ""))  # noqa: S308


class Paginator(DjangoPaginator):
    """Pages of search results in one query: the total comes with the page (`COUNT(*) OVER
    ()`), where Django's paginator counts first and then fetches the page, filtering every
    row twice (half of a broad chat search's time, bench/README.md). A number past the
    last page costs the usual count and shows the last page, as Django's does."""

    def get_page(self, number: Any) -> Page:
        try:
            number = max(1, int(number))
        except (TypeError, ValueError):
            number = 1
        bottom = (number - 1) * self.per_page
        window = self.object_list.annotate(_search_total=Window(Count("*")))  # type: ignore[attr-defined]
        rows = list(window[bottom : bottom + self.per_page])
        if not rows and number > 1:
            return super().get_page(number)
        self.__dict__["count"] = rows[0]._search_total if rows else 0  # Paginator.count is a cached_property
        return Page(rows, number, self)


# --- The index ------------------------------------------------------------------------------


class CreateSearchIndex(Operation):
    """Migration operation: a GIN index on `document(fields)` of a model, on Postgres only
    (SQLite searches without one, so there it does nothing). Django's model state does not
    know the index, so `makemigrations` neither adds nor removes it.

        CreateSearchIndex(model_name="message", fields=["content"], name="chat_message_search")
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, fields: Sequence[str], name: str) -> None:
        self.model_name, self.fields, self.name = model_name, list(fields), name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            self.__class__.__qualname__,
            [],
            {"model_name": self.model_name, "fields": self.fields, "name": self.name},
        )

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _index(self) -> GinIndex:
        return GinIndex(document(self.fields), name=self.name)

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            model = to_state.apps.get_model(app_label, self.model_name)
            schema_editor.add_index(model, self._index())
            # Postgres keeps statistics of an indexed expression, but gathers them only on
            # ANALYZE, and autovacuum does not analyze a table because an index appeared.
            # Without them every word looks rare, and a common one is looked up through the
            # index for each conversation (2 s instead of 50 ms, bench/README.md).
            schema_editor.execute(f"ANALYZE {schema_editor.quote_name(model._meta.db_table)}")

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(from_state.apps.get_model(app_label, self.model_name), self._index())

    def describe(self) -> str:
        fields = ", ".join(self.fields)
        return f"Create full-text search index {self.name} on {self.model_name} ({fields}), Postgres only"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name}_search"
