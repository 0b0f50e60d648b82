"""The ledger's sections of the config file: `ledger` (the settings, one mapping) and `costs`
(the cost items with their prices).

    ledger:
      currency: USD
      kwh_price: 0.30
      creep_percent: 10
      cloud_alternative: 85.00
      cloud_alternative_note: two ChatGPT Plus seats and 2 TB of cloud storage
    costs:
      - name: Mac Studio
        category: hardware             # hardware, subscription, cloud_api, electricity, domain, other
        kind: one_off                  # one_off, recurring, usage
        amount: 1999.00
        start: 2025-03-14
        life_months: 48
        host: Studio                   # a host's name
      - name: Off-site backup
        kind: recurring
        period: monthly                # monthly, quarterly, yearly
        amount: 6.99
        currency: EUR                  # the household's when left out
        rate: 1.08                     # household currency per one EUR
        start: 2024-01-01
        prices:                        # the price history (optional; export writes it)
          - {since: 2024-01-01, amount: 5.99, currency: EUR, rate: 1.08}
          - {since: 2025-06-01, amount: 6.99, currency: EUR, rate: 1.08}

Each entry is the whole definition (a field left out takes its default); import upserts by
name and never deletes (a price, an item or a setting). The rules are the model's and the
services' (CostItem.clean, services.money_problems, through config.model_errors), as on the
item form. Usage entries and charges are history, not configuration: not in the file.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

from apps.core import config
from apps.gateway.models import Backend
from apps.ledger import services
from apps.ledger.models import Category, CostItem, Kind, LedgerSettings, Period, Price
from apps.status.models import Host, Service
from apps.status.models import Kind as CheckKind

COST_FIELDS = {
    "name",
    "vendor",
    "category",
    "kind",
    "amount",
    "currency",
    "rate",
    "period",
    "start",
    "end",
    "life_months",
    "host",
    "watts",
    "ups",
    "backend",
    "notes",
    "prices",
}
PRICE_FIELDS = {"since", "amount", "currency", "rate"}
LEDGER_FIELDS = {"currency", "kwh_price", "creep_percent", "cloud_alternative", "cloud_alternative_note"}
PRICES_READ_LIMIT = 500  # a price history of forty years of monthly changes; the file is far smaller


# --- values --------------------------------------------------------------------------------------


def _decimal(item: dict, key: str, path: config.Path, report: config.Report, example: str = "19.99") -> Any:
    return config.decimal(item, key, path, report, words=f"must be a number, like {example}")


def _date(item: dict, key: str, path: config.Path, report: config.Report, *, required: bool = False) -> date | None:
    return config.day(item, key, path, report, required=required, example="2025-03-14")


def _money_text(value: Decimal) -> Decimal:
    """An amount as the file writes it (config._Dumper): exact, with at least two decimals (1999.00)."""
    exponent = value.normalize().as_tuple().exponent
    places = max(-exponent, 2) if isinstance(exponent, int) else 2
    return value.quantize(Decimal(1).scaleb(-places))


def _number_text(value: Decimal) -> Decimal:
    return value.normalize()


def _problems_at(problems: dict[str, str], path: config.Path, report: config.Report) -> None:
    for key, message in problems.items():
        report.error((*path, key), message)


def _money_rules(money: dict[str, Any], path: config.Path, report: config.Report, household: str) -> None:
    """An amount, its currency and rate (and a price's `since`) by the services' rules and the
    Price model's own (a rate's range and decimals), so apply cannot fail where validate passed."""
    _problems_at(
        services.money_problems(money["amount"], money["currency"], money["rate"], household=household), path, report
    )
    currency = (money["currency"] or household).upper()
    rate = money["rate"] if currency != household and money["rate"] is not None else Decimal(1)
    price = Price(amount=money["amount"], currency=currency, rate=rate)
    if money.get("since") is not None:
        price.since = money["since"]
    # The amount and currency are money_problems' (said once); the item is the one being saved.
    exclude = ["item", "amount", "currency"] + ([] if money.get("since") is not None else ["since"])
    config.model_errors(price, path, report, exclude=exclude)


# --- ledger: the settings ------------------------------------------------------------------------


def export_ledger() -> dict[str, Any]:
    settings = LedgerSettings.load()
    row: dict[str, Any] = {
        "currency": settings.currency,
        "kwh_price": _number_text(settings.kwh_price),
        "creep_percent": _number_text(settings.creep_percent),
    }
    if settings.cloud_alternative is not None:
        row["cloud_alternative"] = _money_text(settings.cloud_alternative)
    if settings.cloud_alternative_note:
        row["cloud_alternative_note"] = settings.cloud_alternative_note
    return row


def validate_ledger(mapping: dict[str, Any], report: config.Report, document: dict[str, Any]) -> dict[str, Any]:
    path: config.Path = ("ledger",)
    if not config.check_keys(mapping, path, report, LEDGER_FIELDS, set()):
        return {}
    row: dict[str, Any] = {
        "currency": config.field_text(
            mapping, "currency", path, report, config.field_default(LedgerSettings, "currency")
        ).upper(),
        "kwh_price": _decimal(mapping, "kwh_price", path, report, "0.30"),
        "creep_percent": _decimal(mapping, "creep_percent", path, report, "10"),
        "cloud_alternative": _decimal(mapping, "cloud_alternative", path, report, "85.00"),
        "cloud_alternative_note": config.field_text(mapping, "cloud_alternative_note", path, report),
    }
    for key in ("kwh_price", "creep_percent"):  # left out: the default
        if row[key] is None:
            row[key] = config.field_default(LedgerSettings, key)
    config.model_errors(LedgerSettings(**row), path, report)
    return row


def apply_ledger(row: dict[str, Any]) -> Counter:
    counts = Counter(created=0, updated=0, unchanged=0)
    if not row:
        return counts
    settings = LedgerSettings.load()
    changed = [key for key, value in row.items() if getattr(settings, key) != value]
    for key in changed:
        setattr(settings, key, row[key])
    if changed:
        services.settings_save(settings)
    counts["updated" if changed else "unchanged"] += 1
    return counts


# --- costs ---------------------------------------------------------------------------------------


def _household(document: dict[str, Any]) -> str:
    """The household's currency as this import leaves it: this file's `ledger`, else the portal's."""
    ledger = document.get("ledger")
    named = ledger.get("currency") if isinstance(ledger, dict) else None
    return named.strip().upper() if isinstance(named, str) and named.strip() else services.household_currency()


def _names(document: dict[str, Any], section: str, keep: Any = None) -> set[Any]:
    rows = document.get(section)
    return (
        {i.get("name") for i in rows or [] if isinstance(i, dict) and (keep is None or keep(i))}
        if isinstance(rows, list)
        else set()
    )


def _is_nut(service: dict) -> bool:
    check = service.get("check")
    return isinstance(check, dict) and check.get("kind") == CheckKind.NUT


def export_costs() -> list[dict[str, Any]]:
    household = services.household_currency()
    rows = []
    items = CostItem.objects.select_related("host", "ups", "backend").prefetch_related("prices")
    for item in items.order_by("category", "name"):
        row: dict[str, Any] = {"name": item.name}
        if item.vendor:
            row["vendor"] = item.vendor
        row["category"] = item.category
        row["kind"] = item.kind
        prices = sorted(item.prices.all(), key=lambda price: price.since)
        current = services.current_price(item) if prices else None
        if current is not None and services.needs_price(item):
            row["amount"] = _money_text(current.amount)
            if current.currency != household:
                row["currency"], row["rate"] = current.currency, _number_text(current.rate)
        if item.kind == Kind.RECURRING:
            row["period"] = item.period
        row["start"] = item.start.isoformat()
        if item.end:
            row["end"] = item.end.isoformat()
        if item.life_months:
            row["life_months"] = item.life_months
        if item.host is not None:
            row["host"] = item.host.name
        if item.watts is not None:
            row["watts"] = _number_text(item.watts)
        if item.ups is not None:
            row["ups"] = item.ups.name
        if item.backend is not None:
            row["backend"] = item.backend.name
        if item.notes:
            row["notes"] = item.notes
        # The history, when `amount` and `start` alone would not rebuild it.
        if services.needs_price(item) and (len(prices) > 1 or (prices and prices[0].since != item.start)):
            row["prices"] = [
                {
                    "since": price.since.isoformat(),
                    "amount": _money_text(price.amount),
                    **(
                        {"currency": price.currency, "rate": _number_text(price.rate)}
                        if price.currency != household
                        else {}
                    ),
                }
                for price in prices
            ]
        rows.append(row)
    return rows


def _prices(item: dict, path: config.Path, report: config.Report, household: str) -> list[dict[str, Any]]:
    value = item.get("prices")
    if value is None:
        return []
    path = (*path, "prices")
    if not isinstance(value, list) or len(value) > PRICES_READ_LIMIT:
        report.error(
            path, f"must be a list of at most {PRICES_READ_LIMIT} prices, like [{{since: 2025-01-01, amount: 9.99}}]"
        )
        return []
    prices = []
    for index, entry in enumerate(value):
        where = (*path, index)
        if not config.check_keys(entry, where, report, PRICE_FIELDS, {"since", "amount"}):
            continue
        row = {
            "since": _date(entry, "since", where, report),
            "amount": _decimal(entry, "amount", where, report),
            "currency": config.text(entry, "currency", where, report, max_length=3).upper(),
            "rate": _decimal(entry, "rate", where, report, "1.08"),
        }
        _money_rules(row, where, report, household)
        prices.append(row)
    days = [row["since"] for row in prices if row["since"] is not None]
    if len(days) != len(set(days)):
        report.error(path, "two prices start on the same day; keep one price per day")
    return sorted(prices, key=lambda row: row["since"] or date.min)


def _links(
    item: dict, path: config.Path, report: config.Report, document: dict[str, Any], cost: CostItem
) -> dict[str, str]:
    """The host, UPS and backend by name: in the portal, or created by this same file."""
    names = {key: config.field_text(item, key, path, report) for key in ("host", "ups", "backend")}
    if host := names["host"]:
        cost.host = Host.objects.filter(name=host).first()
        if cost.host is None and host not in _names(document, "hosts"):
            report.error((*path, "host"), f"no host named {host!r} in this file or the portal")
    if ups := names["ups"]:
        found = Service.objects.filter(name=ups).first()
        in_file = ups in _names(document, "services", _is_nut)
        if found is not None and found.kind != CheckKind.NUT and not in_file:
            report.error((*path, "ups"), f"{ups!r} is not a UPS (NUT) check; name the check that watches the UPS")
        elif found is None and not in_file:
            report.error((*path, "ups"), f"no UPS (NUT) check named {ups!r} in this file or the portal")
        cost.ups = found if found is not None and found.kind == CheckKind.NUT else None
        if cost.ups is None:
            cost.ups_id = -1  # stands for the check this file creates: clean() asks only whether there is one
    if backend := names["backend"]:
        cost.backend = Backend.objects.filter(name=backend).first()
        if cost.backend is None and backend not in _names(document, "backends"):
            report.error((*path, "backend"), f"no backend named {backend!r} in this file or the portal")
    return names


def validate_costs(items: list[Any], report: config.Report, document: dict[str, Any]) -> list[dict[str, Any]]:
    config.duplicates(items, "name", "costs", report)
    household = _household(document)
    rows = []
    for index, item in enumerate(items):
        path = ("costs", index)
        if not config.check_keys(item, path, report, COST_FIELDS, {"name", "start"}):
            continue
        fields: dict[str, Any] = {
            "name": config.field_text(item, "name", path, report),
            "vendor": config.field_text(item, "vendor", path, report),
            "category": config.choice(item, "category", path, report, Category.values, Category.OTHER),
            "kind": config.choice(item, "kind", path, report, Kind.values, Kind.RECURRING),
            "period": config.choice(item, "period", path, report, Period.values, Period.MONTHLY),
            "start": _date(item, "start", path, report, required=True),
            "end": _date(item, "end", path, report),
            "life_months": config.field_number(item, "life_months", path, report, CostItem),
            "watts": _decimal(item, "watts", path, report, "45"),
            "notes": config.field_text(item, "notes", path, report),
        }
        money = {
            "amount": _decimal(item, "amount", path, report),
            "currency": config.text(item, "currency", path, report, max_length=3).upper(),
            "rate": _decimal(item, "rate", path, report, "1.08"),
        }
        cost = CostItem(**fields)
        links = _links(item, path, report, document, cost)
        _money_rules(money, path, report, household)
        prices = _prices(item, path, report, household)
        unchecked = ["host", "ups", "backend"] + (["start"] if fields["start"] is None else [])
        if config.model_errors(cost, path, report, exclude=unchecked):
            _price_rules(cost, money["amount"], prices, path, report)
        rows.append({"fields": fields, "money": money, "links": links, "prices": prices})
    return rows


def _price_rules(
    cost: CostItem, amount: Decimal | None, prices: list[dict], path: config.Path, report: config.Report
) -> None:
    if not services.needs_price(cost):
        if prices:
            report.error(
                (*path, "prices"), "only purchases and subscriptions have prices; usage and electricity do not"
            )
        return
    if cost.kind == Kind.ONE_OFF and len(prices) > 1:
        report.error((*path, "prices"), "a one-off purchase has one price: give it as amount")
    if prices and prices[0]["since"] not in (None, cost.start):
        report.error((*path, "prices", 0, "since"), f"the first price must start with the cost ({cost.start})")
    existing = CostItem.objects.filter(name=cost.name, prices__isnull=False).exists()
    if amount is None and not prices and not existing:
        report.error((*path, "amount"), "give the price, like amount: 19.99")


def _price_tuple(price: Price | dict[str, Any], household: str) -> tuple:
    if isinstance(price, Price):
        return (price.since, price.amount, price.currency, price.rate)
    currency = (price["currency"] or household).upper()
    rate = Decimal(1) if currency == household else price["rate"]
    return (price["since"], price["amount"], currency, rate)


def _save(cost: CostItem, money: dict[str, Any] | None) -> None:
    """item_save with an amount as the file gives it (a row's `amount` or one of its `prices`)."""
    if money is None:
        services.item_save(cost)
    else:
        services.item_save(cost, amount=money["amount"], currency=money["currency"], rate=money["rate"])


def apply_costs(rows: list[dict[str, Any]]) -> Counter:
    household = services.household_currency()
    counts = Counter(created=0, updated=0, unchanged=0)
    for row in rows:
        links = row["links"]
        found = CostItem.objects.filter(name=row["fields"]["name"]).first()
        cost = found or CostItem()
        values = {
            **row["fields"],
            "host": Host.objects.filter(name=links["host"]).first() if links["host"] else None,
            "ups": Service.objects.filter(name=links["ups"], kind=CheckKind.NUT).first() if links["ups"] else None,
            "backend": Backend.objects.filter(name=links["backend"]).first() if links["backend"] else None,
        }
        changed = [key for key, value in values.items() if found is None or getattr(found, key) != value]
        for key in changed:
            setattr(cost, key, values[key])
        before = sorted(_price_tuple(price, household) for price in found.prices.all()) if found else []
        history, money = row["prices"], row["money"]
        # An item without prices yet is saved with its first one: the history's, else `amount`.
        opening = None
        if not before:
            opening = history[0] if history else (money if money["amount"] is not None else None)
        if found is None or changed or opening is not None:
            _save(cost, opening)
        have = {price.since: _price_tuple(price, household) for price in cost.prices.all()}
        for price in history:
            if have.get(price["since"]) != _price_tuple(price, household):
                if cost.kind == Kind.ONE_OFF:
                    _save(cost, price)
                else:
                    services.price_change(
                        cost,
                        amount=price["amount"],
                        since=price["since"],
                        currency=price["currency"],
                        rate=price["rate"],
                    )
        if money["amount"] is not None and opening is not money:
            _save(cost, money)  # a recurring item's new amount is a price change from today
        after = sorted(_price_tuple(price, household) for price in cost.prices.all())
        counts["created" if found is None else ("updated" if changed or before != after else "unchanged")] += 1
    return counts


SECTIONS = [
    config.Section(
        name="ledger",
        order=88,
        export=export_ledger,
        validate=validate_ledger,
        apply=apply_ledger,
        help="The ledger's settings: currency, price per kWh, creep threshold, the cloud alternative.",
        mapping=True,
    ),
    config.Section(
        name="costs",
        order=90,
        export=export_costs,
        validate=validate_costs,
        apply=apply_costs,
        help="What the stack costs: hardware, subscriptions, usage and electricity, with their prices.",
    ),
]
