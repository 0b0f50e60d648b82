"""The `ledger` and `costs` sections of the config file: the example household, an export
that imports back to the same ledger (price history and foreign currencies included), upsert
without deleting, and bad values refused at their path in words."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone

from apps.core import config
from apps.gateway.models import Backend
from apps.ledger import services
from apps.ledger.models import CostItem, LedgerSettings, Price, latest_day
from apps.status.models import Host, Service

pytestmark = pytest.mark.django_db


def prices(name: str) -> list[tuple[date, Decimal, str, Decimal]]:
    return [(p.since, p.amount, p.currency, p.rate) for p in Price.objects.filter(item__name=name).order_by("since")]


def imported(text: str, *, dry_run: bool = False) -> config.ImportResult:
    result = config.import_text(text, dry_run=dry_run)
    assert result.ok, [str(error) for error in result.errors]
    return result


def test_the_example_household_brings_its_costs_and_settings(monkeypatch):
    monkeypatch.setenv("HOMEOPS_OWNER_PASSWORD", "correct horse battery staple")
    call_command("bootstrap", "--example", "--no-input")
    settings = LedgerSettings.load()
    assert (settings.currency, settings.kwh_price, settings.creep_percent) == ("USD", Decimal("0.30"), Decimal(10))
    assert settings.cloud_alternative == Decimal("85.00")
    studio = CostItem.objects.get(name="Mac Studio (M4 Max, 64 GB)")
    assert (studio.kind, studio.life_months, studio.host.name) == ("one_off", 48, "Studio")
    assert prices("Off-site backup storage") == [
        (date(2024, 6, 1), Decimal("10.00"), "USD", Decimal(1)),
        (date(2025, 10, 1), Decimal("12.00"), "USD", Decimal(1)),
    ]
    assert CostItem.objects.filter(category="electricity").count() == 2
    assert set(CostItem.objects.filter(category="subscription").values_list("name", flat=True)) == {
        "Off-site backup storage",
        "Password manager",
    }
    count = CostItem.objects.count()
    again = config.import_text(config.export_text())
    assert again.counts["costs"] == {"created": 0, "updated": 0, "unchanged": count}
    assert again.counts["ledger"] == {"created": 0, "updated": 0, "unchanged": 1}


def a_ledger() -> None:
    """Every kind of item, a history, another currency and every link."""
    services.settings_save(LedgerSettings(currency="EUR", kwh_price=Decimal("0.3125"), cloud_alternative=Decimal(80)))
    studio = Host.objects.create(name="Studio")
    ups = Service.objects.create(name="ups", label="UPS", kind="nut", check_config={"host": "nas", "ups": "ups"})
    backend = Backend.objects.create(name="cloud", base_url="https://api.example.com/v1")
    services.item_save(
        CostItem(
            name="Studio", kind="one_off", category="hardware", start=date(2025, 3, 20), life_months=48, host=studio
        ),
        amount=Decimal("2499.00"),
        currency="USD",
        rate=Decimal("0.92"),
    )
    backup = services.item_save(
        CostItem(name="Backup", kind="recurring", period="monthly", category="subscription", start=date(2024, 6, 1)),
        amount=Decimal("10.00"),
    )
    services.price_change(backup, amount=Decimal("12.50"), since=date(2025, 10, 1), currency="USD", rate=Decimal("0.9"))
    services.item_save(
        CostItem(
            name="Domain",
            kind="recurring",
            period="yearly",
            category="domain",
            start=date(2023, 4, 2),
            end=date(2026, 4, 1),
            notes="**Renew** in March",
        ),
        amount=Decimal("10.44"),
    )
    services.item_save(
        CostItem(name="UPS power", kind="recurring", category="electricity", start=date(2024, 6, 1), ups=ups)
    )
    services.item_save(
        CostItem(
            name="Studio power", kind="recurring", category="electricity", start=date(2024, 6, 1), watts=Decimal("45.5")
        )
    )
    services.item_save(
        CostItem(
            name="Cloud",
            kind="usage",
            category="cloud_api",
            start=date(2025, 1, 1),
            vendor="Example AI",
            backend=backend,
        )
    )


def test_an_export_imports_back_to_the_same_ledger():
    a_ledger()
    first = config.export_text()
    before = {name: prices(name) for name in CostItem.objects.values_list("name", flat=True)}
    CostItem.objects.all().delete()
    LedgerSettings.objects.all().delete()
    result = imported(first)
    assert result.counts["costs"]["created"] == 6
    assert config.export_text() == first
    assert {name: prices(name) for name in CostItem.objects.values_list("name", flat=True)} == before
    assert prices("Backup") == [
        (date(2024, 6, 1), Decimal("10.00"), "EUR", Decimal(1)),
        (date(2025, 10, 1), Decimal("12.50"), "USD", Decimal("0.9")),
    ]
    assert imported(first).counts["costs"] == {"created": 0, "updated": 0, "unchanged": 6}


def test_the_export_writes_exact_amounts_as_plain_numbers_and_only_what_differs_from_the_defaults():
    a_ledger()
    text = config.export_text()
    ledger = text[text.index("\nledger:\n") :].split("\ncosts:")[0]
    assert ledger.splitlines()[2:] == [
        "  currency: EUR",
        "  kwh_price: 0.3125",
        "  creep_percent: 10",
        "  cloud_alternative: 80.00",
    ]
    assert "  amount: 2499.00\n" in text and "  rate: 0.92\n" in text  # the digits, unquoted
    document = yaml.safe_load(text)
    rows = {row["name"]: row for row in document["costs"]}
    assert rows["Studio"] == {
        "name": "Studio",
        "category": "hardware",
        "kind": "one_off",
        "amount": 2499.0,
        "currency": "USD",
        "rate": 0.92,
        "start": "2025-03-20",
        "life_months": 48,
        "host": "Studio",
    }
    assert rows["Backup"]["amount"] == 12.5 and len(rows["Backup"]["prices"]) == 2
    assert rows["UPS power"]["ups"] == "ups" and "amount" not in rows["UPS power"]
    assert rows["Cloud"]["backend"] == "cloud"


def test_import_upserts_by_name_never_deletes_and_a_new_amount_is_a_price_change_from_today():
    a_ledger()
    imported(
        "costs:\n"
        "  - {name: Backup, kind: recurring, category: subscription, start: 2024-06-01, amount: 14.00}\n"
        "  - {name: Fan, kind: one_off, category: hardware, start: 2026-01-01, life_months: 24, amount: 30}\n"
    )
    assert CostItem.objects.count() == 7
    assert prices("Backup")[-1] == (timezone.localdate(), Decimal("14.00"), "EUR", Decimal(1))
    assert len(prices("Backup")) == 3
    assert prices("Fan") == [(date(2026, 1, 1), Decimal(30), "EUR", Decimal(1))]


def test_a_cost_may_name_a_ups_check_and_a_host_that_the_same_file_creates():
    text = (
        "hosts:\n  - {name: NAS, address: nas.home.arpa}\n"
        "services:\n  - {name: ups, label: UPS, host: NAS, check: {kind: nut, host: nas.home.arpa, ups: ups}}\n"
        "costs:\n  - {name: Rack power, category: electricity, start: 2025-01-01, ups: ups, host: NAS}\n"
    )
    imported(text)
    rack = CostItem.objects.get(name="Rack power")
    assert (rack.ups.name, rack.host.name, rack.watts) == ("ups", "NAS", None)


BASE = "{name: Backup, kind: recurring, start: 2025-01-01, amount: 9.99"
BAD = [
    (
        "{name: X, start: 2025-01-01, amount: 19.999}",
        "costs[0].amount: Write the amount with at most two decimals (cents), like 19.99.",
    ),
    (
        "{name: X, start: 2025-01-01, amount: -3}",
        "costs[0].amount: A price cannot be negative: write what it costs, like 19.99.",
    ),
    ("{name: X, start: 2025-01-01, amount: lots}", "costs[0].amount: must be a number, like 19.99"),
    (
        "{name: X, start: 2025-01-01, amount: 5, currency: GBP}",
        "costs[0].rate: Amounts in GBP need the exchange rate: how many USD one GBP is worth, like 1.08.",
    ),
    ("{name: X, start: 2025-01-01, amount: 5, currency: pounds}", "costs[0].currency: is longer than 3 characters"),
    ("{name: X, start: 2025-01-01}", "costs[0].amount: give the price, like amount: 19.99"),
    ("{name: X, start: someday, amount: 5}", "costs[0].start: not a date like 2025-03-14"),
    ("{name: X, amount: 5}", "costs[0]: start is required"),
    (
        "{name: X, start: 2025-01-01, amount: 5, kind: monthly}",
        "costs[0].kind: must be one of one_off, recurring, usage (got 'monthly')",
    ),
    (
        "{name: X, start: 2025-01-01, amount: 5, period: weekly}",
        "costs[0].period: must be one of monthly, quarterly, yearly (got 'weekly')",
    ),
    (
        "{name: X, start: 2025-01-01, kind: one_off, amount: 5}",
        "costs[0].life_months: Give a one-off purchase its useful life in months, like 60 for five years.",
    ),
    (
        "{name: X, start: 2025-01-01, end: 2024-01-01, amount: 5}",
        "costs[0].end: The end date is before the start date.",
    ),
    (
        "{name: X, start: 2025-01-01, category: electricity}",
        "costs[0].watts: Give electricity its average watts, or choose the UPS that measures them.",
    ),
    (
        "{name: X, start: 2025-01-01, category: electricity, watts: 45.25}",
        "costs[0].watts: Too many decimals: at most 1 after the point.",
    ),
    (
        "{name: X, start: 2025-01-01, amount: 5, host: Attic}",
        "costs[0].host: no host named 'Attic' in this file or the portal",
    ),
    (
        "{name: X, start: 2025-01-01, category: electricity, ups: garage}",
        "costs[0].ups: no UPS (NUT) check named 'garage' in this file or the portal",
    ),
    (
        "{name: X, start: 2025-01-01, kind: usage, backend: gone}",
        "costs[0].backend: no backend named 'gone' in this file or the portal",
    ),
    (
        "{name: X, start: 2025-01-01, amount: 5, colour: red}",
        "costs[0].colour: unknown field; expected one of amount, backend, category, currency, end, host, kind, "
        "life_months, name, notes, period, prices, rate, start, ups, vendor, watts",
    ),
    (
        "{name: X, start: 2025-01-01, prices: [{since: 2025-01-01, amount: 5}, {since: 2025-01-01, amount: 6}]}",
        "costs[0].prices: two prices start on the same day; keep one price per day",
    ),
    (
        "{name: X, start: 2025-01-01, prices: [{since: 2025-02-01, amount: 5}]}",
        "costs[0].prices[0].since: the first price must start with the cost (2025-01-01)",
    ),
    (
        "{name: X, start: 2025-01-01, prices: [{since: 2025-01-01, amount: 5.001}]}",
        "costs[0].prices[0].amount: Write the amount with at most two decimals (cents), like 19.99.",
    ),
    ("{name: X, start: 2025-01-01, prices: [{amount: 5}]}", "costs[0].prices[0]: since is required"),
    (
        "{name: X, start: 2025-01-01, amount: 5, currency: EUR, rate: -1.08}",
        "costs[0].rate: The exchange rate must be more than 0.",
    ),
    (
        "{name: X, start: 2025-01-01, amount: 5, currency: EUR, rate: 1.123456789}",
        "costs[0].rate: Too many decimals: at most 8 after the point.",
    ),
    (
        "{name: X, start: 2025-01-01, prices: [{since: 2025-01-01, amount: 5, currency: EUR, rate: 0}]}",
        "costs[0].prices[0].rate: The exchange rate must be more than 0.",
    ),
    (
        "{name: X, start: 2025-01-01, prices: [{since: 2025-01-01, amount: 5}, {since: 9999-01-01, amount: 6}]}",
        f"costs[0].prices[1].since: Write a date from 1 January 1990 to {latest_day():%-d %B %Y}, like 2025-03-14.",
    ),
    (
        "{name: X, start: 2025-01-01, prices: 5}",
        "costs[0].prices: must be a list of at most 500 prices, like [{since: 2025-01-01, amount: 9.99}]",
    ),
    (
        "{name: X, start: 2025-01-01, kind: usage, prices: [{since: 2025-01-01, amount: 5}]}",
        "costs[0].prices: only purchases and subscriptions have prices; usage and electricity do not",
    ),
]


@pytest.mark.parametrize(
    ("row", "message"), BAD, ids=[message.split(":")[0] + str(i) for i, (_, message) in enumerate(BAD)]
)
def test_a_bad_cost_is_refused_at_its_path_in_words(row, message):
    result = config.import_text(f"costs:\n  - {row}\n", dry_run=True)
    assert message in [f"{error.path}: {error.message}" for error in result.errors], result.errors
    assert not CostItem.objects.exists()


def test_a_ups_that_is_not_a_nut_check_is_refused():
    Service.objects.create(name="nas", label="NAS", kind="tcp", check_config={"host": "nas", "port": 5001})
    result = config.import_text("costs:\n  - {name: X, start: 2025-01-01, category: electricity, ups: nas}\n")
    assert [error.message for error in result.errors] == [
        "'nas' is not a UPS (NUT) check; name the check that watches the UPS"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ledger: [USD]\n", "ledger: must be a mapping (name: value)"),
        ("ledger: {currency: dollars}\n", "ledger.currency: Write a three-letter currency code, like USD, EUR or GBP."),
        ("ledger: {kwh_price: -0.1}\n", "ledger.kwh_price: The price per kWh cannot be negative."),
        ("ledger: {kwh_price: cheap}\n", "ledger.kwh_price: must be a number, like 0.30"),
        ("ledger: {creep_percent: 0}\n", "ledger.creep_percent: The creep threshold must be more than 0%."),
        ("ledger: {cloud_alternative: [85]}\n", "ledger.cloud_alternative: must be a number, like 85.00"),
        (
            "ledger: {currency: EUR, colour: red}\n",
            "ledger.colour: unknown field; expected one of cloud_alternative, cloud_alternative_note, "
            "creep_percent, currency, kwh_price",
        ),
    ],
)
def test_bad_ledger_settings_are_refused_at_their_path(text, message):
    result = config.import_text(text)
    assert message in [f"{error.path}: {error.message}" for error in result.errors]
    assert all(error.path.startswith("ledger") for error in result.errors)


def test_the_ledger_settings_take_their_defaults_and_the_files_currency_applies_to_the_costs():
    result = imported("ledger: {currency: EUR}\ncosts:\n  - {name: X, start: 2025-01-01, amount: 5, currency: EUR}\n")
    assert result.counts["ledger"] == {"created": 0, "updated": 1, "unchanged": 0}
    settings = LedgerSettings.load()
    assert (settings.currency, settings.kwh_price, settings.creep_percent) == ("EUR", Decimal("0.3"), Decimal(10))
    assert prices("X") == [(date(2025, 1, 1), Decimal(5), "EUR", Decimal(1))]
