"""Config as a file: one YAML document, one top-level section per app.

Each app registers a Section in its AppConfig.ready(). Import validates every section
before writing anything, then applies them in one transaction (upsert by natural key);
errors carry the YAML path and line ("members[1].role: not a role, line 7").
Secrets never appear in an export: a section exports a reference (`url_env: NAME`) or
leaves the field out.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar, cast

import yaml
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils import timezone

from apps.core import links, rules

FORMAT_VERSION = 1
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class ConfigError:
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f", line {self.line}" if self.line else ""
        return f"{self.path}: {self.message}{where}" if self.path else f"{self.message}{where}"


class Report:
    """Collects errors during validation, each located by its YAML path."""

    def __init__(self, lines: dict[Path, int] | None = None) -> None:
        self.lines = lines or {}
        self.errors: list[ConfigError] = []

    def error(self, path: Path, message: str) -> None:
        line = None
        for end in range(len(path), -1, -1):  # the nearest enclosing node that has a line
            line = self.lines.get(path[:end])
            if line:
                break
        self.errors.append(ConfigError(format_path(path), message, line))


@dataclass(frozen=True)
class Section:
    """`validate(items, report, document)` returns cleaned items (or None on errors);
    `apply(cleaned)` writes them and returns a Counter of created/updated/unchanged.
    A `mapping` section is one mapping of settings (`ledger: {currency: EUR}`) instead of a
    list of rows: its export returns, and its validate receives, that mapping."""

    name: str
    order: int
    export: Callable[[], Any]  # list[dict[str, Any]], or dict[str, Any] for a mapping section
    validate: Callable[[Any, Report, dict[str, Any]], Any]
    apply: Callable[[Any], Counter]
    help: str = ""
    mapping: bool = False


_SECTIONS: dict[str, Section] = {}


def register(section: Section) -> None:
    _SECTIONS[section.name] = section


def sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.name))


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --- Reading -------------------------------------------------------------------------------

# A household's configuration is a few thousand values; these bounds are far above that and
# keep a hostile or broken file from costing more than a moment.
MAX_BYTES = 1_000_000  # the Settings page refuses larger uploads before reading them (core/views.py)
MAX_VALUES = 100_000
MAX_DEPTH = 20
# libyaml when PyYAML was built with it: ten times faster than the pure-Python parser.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RefusedYAML(yaml.MarkedYAMLError):
    """Well-formed YAML that a configuration file has no use for."""


def _refused(problem: str, event: yaml.Event) -> RefusedYAML:
    # libyaml's events carry yaml._yaml.Mark, with the same fields as the yaml.error.Mark that the stub expects.
    return RefusedYAML(problem=problem, problem_mark=event.start_mark)  # type: ignore[arg-type]


def _check_shape(text: str) -> None:
    """Refuses anchors and aliases, deep nesting and too many values from the parser's events,
    before any document is built: ten nested levels of ten aliases stand for ten billion
    values in a few hundred bytes, and every walk of the document would visit each one
    (the line map below took 21 s and 2.2 GB for seven levels). The events come one at a
    time without recursion, so a deep document cannot exhaust the stack either."""
    depth = values = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            problem = "anchors and aliases (&name, *name) are not allowed in a configuration file; write each value out"
            raise _refused(problem, event)
        if isinstance(event, yaml.NodeEvent):
            values += 1
            if values > MAX_VALUES:
                problem = f"more than {MAX_VALUES} values; a HomeOps configuration is much smaller"
                raise _refused(problem, event)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _refused(f"nested more than {MAX_DEPTH} levels deep", event)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def read_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The data and its node tree (for line numbers), from safe YAML within the bounds above.
    Raises yaml.YAMLError: RefusedYAML for what is refused, another for a syntax error.
    Every YAML that a member writes (a config file, a check's extra settings) is read here."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise RefusedYAML(problem="larger than 1 MB; a HomeOps configuration is much smaller")
    _check_shape(text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return (None if node is None else loader.construct_document(node)), node
    finally:
        loader.dispose()


def _line_map(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                _line_map(value, (*path, key.value), lines)
                lines[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, index), lines)


def parse(text: str) -> tuple[dict[str, Any], Report]:
    """The document and a Report that knows each path's line; syntax errors land in the report."""
    report = Report()
    try:
        data, node = read_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        message = problem if isinstance(exc, RefusedYAML) else f"not valid YAML: {problem}"
        report.errors.append(ConfigError("", message, mark.line + 1 if mark else None))
        return {}, report
    if node is not None:
        _line_map(node, (), report.lines)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        report.error((), "the document must be a mapping of sections (members:, hosts:, ...)")
        return {}, report
    return data, report


@dataclass
class ImportResult:
    errors: list[ConfigError] = field(default_factory=list)
    counts: dict[str, Counter] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"{len(self.errors)} error(s); nothing was written."
        parts = []
        for name, counter in self.counts.items():
            parts.append(
                f"{name}: {counter['created']} new, {counter['updated']} changed, {counter['unchanged']} unchanged"
            )
        verb = "Would apply" if self.dry_run else "Applied"
        return f"{verb}: " + ("; ".join(parts) if parts else "nothing (the document is empty)") + "."


class _DryRun(Exception):
    pass


def import_text(text: str, *, dry_run: bool = False) -> ImportResult:
    data, report = parse(text)
    result = ImportResult(dry_run=dry_run)
    if report.errors:
        result.errors = report.errors
        return result
    known = {s.name for s in sections()}
    version = data.pop("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        report.error(("version",), f"this HomeOps reads version {FORMAT_VERSION} documents")
    for name in data:
        if name not in known:
            report.error((name,), f"unknown section; known sections are {', '.join(sorted(known))}")
    cleaned: dict[str, Any] = {}
    for section in sections():
        if section.name not in data:
            continue
        items = ({} if section.mapping else []) if data[section.name] is None else data[section.name]
        if section.mapping and not isinstance(items, dict):
            report.error((section.name,), "must be a mapping (name: value)")
            continue
        if not section.mapping and not isinstance(items, list):
            report.error((section.name,), "must be a list")
            continue
        cleaned[section.name] = section.validate(items, report, data)
    if report.errors:
        result.errors = report.errors
        return result
    try:
        with transaction.atomic():
            for section in sections():
                if section.name in cleaned:
                    result.counts[section.name] = section.apply(cleaned[section.name])
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except ValidationError as exc:
        result.errors = [ConfigError("", message) for message in exc.messages]
    return result


def export_document() -> dict[str, Any]:
    document: dict[str, Any] = {"version": FORMAT_VERSION}
    for section in sections():
        document[section.name] = section.export()
    return document


class _Dumper(yaml.SafeDumper):
    """safe_dump, and a Decimal (money, prices, rates) as a plain number with its exact digits:
    YAML has no decimal type, and decimal() below reads those digits back, never a float's."""


FLOAT_DIGITS = 15  # a YAML float keeps this many significant digits through decimal()'s str(float)


def _decimal_scalar(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value, "f")
    if "." in text and len(value.as_tuple().digits) > FLOAT_DIGITS:
        return dumper.represent_str(text)  # quoted: decimal() reads a string's digits exactly
    return dumper.represent_scalar("tag:yaml.org,2002:" + ("float" if "." in text else "int"), text)


_Dumper.add_representer(Decimal, _decimal_scalar)


def export_text() -> str:
    header = (
        "# HomeOps configuration. Import with: manage.py import_config FILE [--dry-run]\n"
        "# Secrets are not in this file: they are named by *_env fields and read from the environment.\n"
    )
    return header + yaml.dump(export_document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True)


# --- Field helpers for sections ------------------------------------------------------------

_MISSING = object()


def check_keys(item: Any, path: Path, report: Report, allowed: set[str], required: set[str]) -> bool:
    if not isinstance(item, dict):
        report.error(path, "must be a mapping (name: value)")
        return False
    for key in item:
        if key not in allowed:
            report.error((*path, key), f"unknown field; expected one of {', '.join(sorted(allowed))}")
    for key in sorted(required - item.keys()):
        report.error(path, f"{key} is required")
    return True


def day(
    item: dict, key: str, path: Path, report: Report, *, required: bool = False, example: str = "2026-12-07"
) -> date | None:
    """A date written YYYY-MM-DD (YAML reads it as a date already; a quoted one is text);
    None when left out (an error when `required`)."""
    value = item.get(key)
    if value is None or value == "":
        if required:
            report.error((*path, key), f"is required: a date like {example}")
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    report.error((*path, key), f"not a date like {example}")
    return None


def decimal(item: dict, key: str, path: Path, report: Report, *, words: str) -> Decimal | None:
    """A number as an exact Decimal from its written digits (a YAML float is read through its
    shortest text, which keeps the up to 15 digits written: 19.99 stays 19.99); None when left
    out; `words` (what to write, with an example) when it is not a number. Bounds are the model's."""
    value = item.get(key)
    if value is None or value == "":
        return None
    number = None
    if not isinstance(value, bool) and isinstance(value, int | float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        report.error((*path, key), words)
        return None
    return number


def text(item: dict, key: str, path: Path, report: Report, default: str = "", max_length: int = 200) -> str:
    value = item.get(key, _MISSING)
    if value is _MISSING or value is None:
        return default
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        report.error((*path, key), "must be text")
        return default
    value = str(value).strip()
    if len(value) > max_length:
        report.error((*path, key), f"is longer than {max_length} characters")
    return value


def field_text(item: dict, key: str, path: Path, report: Report, default: str = "") -> str:
    """Text for a model field: its length is the field's own rule (max_length, judged by
    model_errors), so a section states no limit of its own."""
    return text(item, key, path, report, default, max_length=sys.maxsize)


def number(
    item: dict, key: str, path: Path, report: Report, default: Any, *, whole: bool = True, unit: str = ""
) -> Any:
    """A number for a model field, or `default` when the key is left out (or null); its bounds
    are the field's validators (rules.between), judged by model_errors."""
    value = item.get(key)
    if value is None:
        return default
    if problem := rules.number_problem(value, whole=whole):
        report.error((*path, key), problem + unit)
        return default
    return int(value) if whole else float(value)


def field_number(item: dict, key: str, path: Path, report: Report, model: type[models.Model], field: str = "") -> Any:
    """A number for a model field (`field`, where its key in the file differs): the field's
    default when the key is left out (or null); when it is not a number, the field's own words
    (its error_messages["invalid"], as its Settings form says them), else number()'s."""
    column = cast(models.Field, model._meta.get_field(field or key))
    whole = isinstance(column, models.IntegerField)
    default = column.get_default() if column.has_default() or column.null else None
    value = item.get(key)
    if value is not None and rules.number_problem(value, whole=whole):
        written = column.deconstruct()[3].get("error_messages") or {}
        if "invalid" in written:
            report.error((*path, key), written["invalid"])
            return default
    return number(item, key, path, report, default, whole=whole)


def field_default(model: type[models.Model], field: str) -> Any:
    """What a key left out of the file means: the model field's default."""
    return cast(models.Field, model._meta.get_field(field)).get_default()  # a column, not a relation


def link(item: dict, key: str, path: Path, report: Report, max_length: int = 255) -> str:
    """Text a member will click: http(s) or a relative path (apps/core/links.py), else an error."""
    value = text(item, key, path, report, max_length=max_length)
    if value and (problem := links.link_problem(value)):
        report.error((*path, key), problem)
        return ""
    return value


def choice(item: dict, key: str, path: Path, report: Report, choices: list[str], default: str | None = None):
    value = item.get(key, default)
    if value not in choices:
        report.error((*path, key), f"must be one of {', '.join(choices)} (got {value!r})")
        return default
    return value


def flag(item: dict, key: str, path: Path, report: Report, default: bool) -> bool:
    value = item.get(key, default)
    if not isinstance(value, bool):
        report.error((*path, key), "must be true or false")
        return default
    return value


def moment(item: dict, key: str, path: Path, report: Report) -> datetime | None:
    """A date-time; naive ones are in the household's time zone."""
    value = item.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time.min, tzinfo=timezone.get_current_timezone())
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            report.error((*path, key), "not a date-time like 2026-12-20 09:00")
            return None
    if not isinstance(value, datetime):
        report.error((*path, key), "not a date-time like 2026-12-20 09:00")
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def moment_text(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="minutes") if value else None


def clock(item: dict, key: str, path: Path, report: Report, model: type[models.Model] | None = None) -> time | None:
    """A time of day ("22:00"); None when absent. With `model`, a value that is not a time is
    refused in the words of the model's field (its error_messages["invalid"]), as its form says."""
    value = item.get(key)
    if value is None or value == "":
        return None
    # YAML 1.1 reads an unquoted 22:00 as the sexagesimal number 1320: minutes since midnight.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    if isinstance(value, str):
        try:
            return time.fromisoformat(value.strip())
        except ValueError:
            pass
    column = cast(models.Field, model._meta.get_field(key)) if model else None  # a column, not a relation
    written = (column.deconstruct()[3].get("error_messages") or {}) if column else {}
    report.error((*path, key), written.get("invalid", 'not a time of day like "22:00"'))
    return None


def clock_text(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


# --- One definition per entity ---------------------------------------------------------------

M = TypeVar("M", bound=models.Model)


def model_errors(
    instance: models.Model,
    path: Path,
    report: Report,
    *,
    keys: dict[str, str] | None = None,
    exclude: list[str] | None = None,
) -> bool:
    """Judge `instance` by its model's own rules (field validators and choices, clean()) and
    report each problem at the YAML path of its field; True when there was none.

    The model is an entity's one definition: its Settings form is a ModelForm, which runs the
    same full_clean, so the form and the file cannot disagree. `keys` maps a model field to
    its key in the file where they differ; `exclude` names fields the section checks itself
    (a foreign key to a row that this same file creates). Uniqueness is the upsert's business:
    a row in the file with an existing name updates it."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            where = path if field == NON_FIELD_ERRORS else (*path, (keys or {}).get(field, field))
            for message in messages:
                report.error(where, message)
        return False
    return True


Fate = str  # "created", "updated" or "unchanged": the keys of a section's Counter


@dataclass
class Upserted(Generic[M]):
    """What an upsert did: counts for the import summary, and each row's object and fate by key."""

    counts: Counter = field(default_factory=lambda: Counter(created=0, updated=0, unchanged=0))
    objects: dict[Any, M] = field(default_factory=dict)
    fates: dict[Any, Fate] = field(default_factory=dict)

    def record(self, key: Any, obj: M, fate: Fate) -> None:
        if key in self.fates:
            self.counts[self.fates[key]] -= 1
        self.objects[key], self.fates[key] = obj, fate
        self.counts[fate] += 1

    def touched(self, key: Any) -> None:
        """A row whose own fields were unchanged but whose children or links changed."""
        if self.fates.get(key) == "unchanged":
            self.record(key, self.objects[key], "updated")


def upsert(
    model: type[M],
    rows: list[dict[str, Any]],
    *,
    key: str | tuple[str, ...] = "name",
    save: Callable[[M, list[str] | None], Any] | None = None,
) -> Upserted[M]:
    """The one way a configuration section writes: each row creates its object or updates the
    fields that differ (by natural `key`); nothing is deleted. `save(obj, changed_fields)` is
    the entity's service (which validates and saves); `changed_fields` is None for a new object.
    Keys of rows are the key's value, or a tuple of values for a composite key."""
    names = (key,) if isinstance(key, str) else key
    done: Upserted[M] = Upserted()
    for row in rows:
        lookup = {name: row[name] for name in names}
        found = model._default_manager.filter(**lookup).first()
        obj = found if found is not None else model()
        changed = [name for name, value in row.items() if found is None or getattr(found, name) != value]
        for name in changed:
            setattr(obj, name, row[name])
        fate = "created" if found is None else ("updated" if changed else "unchanged")
        if fate != "unchanged":
            fields = None if found is None else changed
            if save is not None:
                save(obj, fields)
            else:
                obj.save(update_fields=fields)
        done.record(row[key] if isinstance(key, str) else tuple(lookup.values()), obj, fate)
    return done


def duplicates(items: list[Any], key: str, section: str, report: Report, *, fold_case: bool = False) -> None:
    """Report a value that two entries share; empty values are not compared."""
    seen: dict[Any, int] = {}
    for index, item in enumerate(items):
        # A list or mapping where a name belongs is not compared: the field's own rule says what is wrong.
        if isinstance(item, dict) and item.get(key) not in (None, "") and not isinstance(item[key], (list, dict)):
            value = str(item[key]).lower() if fold_case else item[key]
            if value in seen:
                report.error((section, index, key), f"{item[key]!r} appears twice (first at {section}[{seen[value]}])")
            seen.setdefault(value, index)
