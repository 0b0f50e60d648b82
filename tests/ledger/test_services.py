"""The ledger's writes: an item's price history through item_save, price changes, usage
entries, charges (entered and imported all or nothing) and the settings, with the words the
owner reads when something is wrong."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from apps.ledger import services
from apps.ledger.models import Charge, CostItem, ImportBatch, LedgerSettings, Price, UsageEntry

START = date(2025, 1, 15)


def history(item: CostItem) -> list[tuple[date, Decimal, str, Decimal]]:
    return [(p.since, p.amount, p.currency, p.rate) for p in Price.objects.filter(item=item).order_by("since")]


def subscription(**kwargs) -> CostItem:
    fields = {"name": "Backup storage", "kind": "recurring", "category": "subscription", "start": START, **kwargs}
    return CostItem(**fields)


def errors(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


@pytest.mark.django_db
def test_a_new_subscription_gets_its_first_price_from_its_start():
    item = services.item_save(subscription(), amount=Decimal("5.99"))
    assert history(item) == [(START, Decimal("5.99"), "USD", Decimal(1))]


@pytest.mark.django_db
def test_a_changed_amount_is_a_price_change_from_the_day_given_and_keeps_the_history():
    item = services.item_save(subscription(), amount=Decimal("5.99"))
    services.item_save(item, amount=Decimal("6.99"), price_since=date(2025, 6, 1))
    services.item_save(item, amount=Decimal("6.99"), price_since=date(2025, 9, 1))  # the same price: nothing new
    assert history(item) == [
        (START, Decimal("5.99"), "USD", Decimal(1)),
        (date(2025, 6, 1), Decimal("6.99"), "USD", Decimal(1)),
    ]


@pytest.mark.django_db
def test_a_changed_amount_without_a_day_changes_from_today():
    item = services.item_save(subscription(start=date(2020, 1, 1)), amount=Decimal("5.99"))
    services.item_save(item, amount=Decimal("7.49"))
    assert history(item)[-1] == (timezone.localdate(), Decimal("7.49"), "USD", Decimal(1))
    assert len(history(item)) == 2


@pytest.mark.django_db
def test_a_purchase_has_one_price_that_an_edit_replaces_and_that_follows_its_start():
    item = CostItem(name="Mac Studio", kind="one_off", category="hardware", start=START, life_months=48)
    services.item_save(item, amount=Decimal("1999.00"))
    services.item_save(item, amount=Decimal("1899.00"))
    item.start = date(2025, 2, 1)
    services.item_save(item)
    assert history(item) == [(date(2025, 2, 1), Decimal("1899.00"), "USD", Decimal(1))]


@pytest.mark.django_db
def test_the_first_price_moves_with_the_start_but_not_past_a_price_change():
    item = services.item_save(subscription(), amount=Decimal("5.99"))
    services.price_change(item, amount=Decimal("6.99"), since=date(2025, 6, 1))
    item.start = date(2025, 1, 1)
    services.item_save(item)
    assert [row[0] for row in history(item)] == [date(2025, 1, 1), date(2025, 6, 1)]
    item.start = date(2025, 7, 1)
    assert errors(lambda: services.item_save(item)) == {
        "start": ["The price changed on 1 June 2025: the start must be before that day."]
    }
    assert CostItem.objects.get(pk=item.pk).start == date(2025, 1, 1)  # nothing was saved


@pytest.mark.django_db
def test_a_price_in_another_currency_keeps_its_rate_and_the_households_is_always_one():
    item = services.item_save(subscription(), amount=Decimal("6.99"), currency="eur", rate=Decimal("1.08"))
    assert history(item) == [(START, Decimal("6.99"), "EUR", Decimal("1.08"))]
    other = services.item_save(subscription(name="Domain"), amount=Decimal("12"), currency="USD", rate=Decimal(2))
    assert history(other) == [(START, Decimal("12"), "USD", Decimal(1))]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"amount": Decimal("19.999")},
            {"amount": ["Write the amount with at most two decimals (cents), like 19.99."]},
        ),
        ({"amount": Decimal("-1")}, {"amount": ["A price cannot be negative: write what it costs, like 19.99."]}),
        (
            {"amount": Decimal("6.99"), "currency": "EUR"},
            {"rate": ["Amounts in EUR need the exchange rate: how many USD one EUR is worth, like 1.08."]},
        ),
        (
            {"amount": Decimal("6.99"), "currency": "euro"},
            {"currency": ["Write a three-letter currency code, like USD, EUR or GBP."]},
        ),
        ({}, {"amount": ["Give the price, like 1999.00."]}),
        ({"amount": Decimal("1e12")}, {"amount": ["Too large: at most 9,999,999,999.99."]}),
    ],
)
@pytest.mark.django_db
def test_a_wrong_price_is_refused_in_words_and_nothing_is_saved(kwargs, expected):
    assert errors(lambda: services.item_save(subscription(), **kwargs)) == expected
    assert not CostItem.objects.exists()


@pytest.mark.django_db
def test_the_models_rules_and_the_price_are_said_together():
    item = CostItem(name="", kind="one_off", category="hardware", start=START)
    assert errors(lambda: services.item_save(item, amount=Decimal("1.001"))) == {
        "name": ["Give the cost a name, like “Mac Studio” or “Domain name”."],
        "life_months": ["Give a one-off purchase its useful life in months, like 60 for five years."],
        "amount": ["Write the amount with at most two decimals (cents), like 19.99."],
    }


@pytest.mark.django_db
def test_electricity_and_usage_need_no_price():
    power = services.item_save(
        CostItem(name="Studio power", kind="recurring", category="electricity", start=START, watts=Decimal(45))
    )
    usage = services.item_save(CostItem(name="Cloud API", kind="usage", category="cloud_api", start=START))
    assert not Price.objects.filter(item__in=[power, usage]).exists()


@pytest.mark.django_db
def test_a_price_change_is_for_recurring_costs_from_their_start_on():
    item = services.item_save(subscription(), amount=Decimal("5.99"))
    assert errors(lambda: services.price_change(item, amount=Decimal(7), since=date(2024, 1, 1))) == {
        "since": ["A price change cannot come before the start (15 January 2025)."]
    }
    services.price_change(item, amount=Decimal(7), since=date(2025, 3, 1))
    services.price_change(item, amount=Decimal("7.50"), since=date(2025, 3, 1))  # the same day corrects it
    assert history(item)[-1] == (date(2025, 3, 1), Decimal("7.50"), "USD", Decimal(1))
    purchase = services.item_save(
        CostItem(name="NAS", kind="one_off", category="hardware", start=START, life_months=60), amount=Decimal(600)
    )
    assert "amount" in errors(lambda: services.price_change(purchase, amount=Decimal(1), since=START))


@pytest.mark.django_db
def test_usage_entries_belong_to_costs_paid_by_use():
    usage = services.item_save(CostItem(name="Cloud API", kind="usage", category="cloud_api", start=START))
    entry = services.usage_save(UsageEntry(item=usage, day=START, amount=Decimal("12.40"), currency=""))
    assert (entry.currency, entry.rate, entry.source) == ("USD", Decimal(1), "manual")
    other = services.item_save(subscription(), amount=Decimal(5))
    assert errors(lambda: services.usage_save(UsageEntry(item=other, day=START, amount=Decimal(1), currency=""))) == {
        "item": ["Usage entries are for costs paid by use; “Backup storage” is a recurring."]
    }
    services.usage_delete(entry)
    assert not UsageEntry.objects.exists()


@pytest.mark.django_db
def test_a_charge_may_be_a_refund_but_not_a_fraction_of_a_cent():
    refund = services.charge_save(Charge(day=START, amount=Decimal("-5.00"), currency=""))
    assert refund.amount == Decimal("-5.00") and refund.source == "manual"
    assert errors(lambda: services.charge_save(Charge(day=START, amount=Decimal("0.005"), currency=""))) == {
        "amount": ["Write the amount with at most two decimals (cents), like 19.99."]
    }


@pytest.mark.django_db
def test_imported_charges_are_written_all_or_nothing_with_each_wrong_row_named():
    batch = ImportBatch.objects.create(filename="bank.csv", content="")
    rows = [
        Charge(day=START, amount=Decimal("9.99"), currency="", description="Domain"),
        Charge(day=START, amount=Decimal("1.234"), currency="", description="Odd"),
        Charge(day=START, amount=Decimal("3"), currency="GBP", description="No rate"),
    ]
    with pytest.raises(services.ChargeRowsInvalid) as caught:
        services.charges_create(rows, batch=batch)
    assert sorted(caught.value.rows) == [1, 2]
    assert caught.value.messages == [
        "Row 2: Write the amount with at most two decimals (cents), like 19.99.",
        "Row 3: Amounts in GBP need the exchange rate: how many USD one GBP is worth, like 1.08.",
    ]
    assert not Charge.objects.exists()
    good = [Charge(day=START + timedelta(days=n), amount=Decimal(n), currency="") for n in range(3)]
    services.charges_create(good, batch=batch)
    assert set(Charge.objects.values_list("source", "batch")) == {("import", batch.pk)}


@pytest.mark.django_db
def test_settings_are_one_row_validated_by_the_model():
    saved = services.settings_save(LedgerSettings(currency="eur", kwh_price=Decimal("0.32")))
    assert (saved.pk, LedgerSettings.load().currency) == (1, "EUR")
    assert errors(lambda: services.settings_save(LedgerSettings(currency="EUR", kwh_price=Decimal("-1")))) == {
        "kwh_price": ["The price per kWh cannot be negative."]
    }
    assert errors(lambda: services.settings_save(LedgerSettings(currency="EUR", kwh_price=Decimal("0.12345")))) == {
        "kwh_price": ["Too many decimals: at most 4 after the point."]
    }


@pytest.mark.django_db(transaction=True)
def test_two_first_loads_of_the_settings_at_once_both_get_the_one_row():
    """Another request inserts the row between this load's read and its insert: the insert
    waits for that commit, fails on the primary key, and the load reads the row it lost to."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises the two writes; the race needs two Postgres connections")
    LedgerSettings.objects.all().delete()
    inserted, done = threading.Event(), threading.Event()
    loaded: list[LedgerSettings] = []
    errors: list[BaseException] = []

    def first_request() -> None:
        try:
            with transaction.atomic():
                LedgerSettings.objects.create(pk=1, currency="EUR")
                inserted.set()
                done.wait(timeout=2)  # the other load is now blocked on this insert
        finally:
            connection.close()

    def second_request() -> None:
        try:
            inserted.wait(timeout=10)
            loaded.append(LedgerSettings.load())
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_request), threading.Thread(target=second_request)]
    for thread in threads:
        thread.start()
    threads[1].join(0.5)
    done.set()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert [row.currency for row in loaded] == ["EUR"]
    assert LedgerSettings.objects.count() == 1
