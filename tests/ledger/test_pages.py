"""The owner's ledger pages: cost items (the form adapts to the kind of cost without
JavaScript), an item's page with its figure in words, price changes, usage, charges by month
with unassigned imports to assign, deletes that ask first, and the settings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.ledger import figures, services
from apps.ledger.models import Charge, CostItem, ImportBatch, LedgerSettings, Price, UsageEntry
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def purchase(name="Mac Studio", amount="2499.00", life=48, start=None) -> CostItem:
    item = CostItem(
        name=name, kind="one_off", category="hardware", start=start or timezone.localdate(), life_months=life
    )
    return services.item_save(item, amount=Decimal(amount))


def subscription(name="Backup storage", amount="10.00", start=date(2024, 6, 1), period="monthly") -> CostItem:
    item = CostItem(name=name, kind="recurring", category="subscription", start=start, period=period)
    return services.item_save(item, amount=Decimal(amount))


def test_an_empty_ledger_says_what_to_add_first(client, alice):
    page = signed_in(client, alice).get(reverse("ledger:items")).content.decode()
    assert "No costs recorded yet" in page and "Start with the hardware you bought" in page
    assert "?kind=purchase" in page and 'aria-current="page">Items' in page


def test_the_items_page_groups_by_category_with_each_monthly_figure(client, alice):
    purchase()
    subscription(name="Domain name", amount="12.00", period="yearly")
    page = signed_in(client, alice).get(reverse("ledger:items")).content.decode()
    assert page.index("Hardware") < page.index("Mac Studio") < page.index("Subscription") < page.index("Domain name")
    assert "52.06" in page and "1.00" in page and "53.06 USD" in page  # 2499 / 48; 12 / 12


@pytest.mark.parametrize(
    ("kind", "shown", "hidden"),
    [
        ("purchase", ["life_months", "amount", "currency", "rate"], ["period", "watts", "ups"]),
        ("subscription", ["period", "amount"], ["life_months", "watts", "price_since"]),
        ("usage", ["start"], ["amount", "period", "life_months", "watts"]),
        ("electricity", ["watts", "ups"], ["amount", "life_months", "category"]),
    ],
)
def test_the_form_asks_only_what_the_kind_of_cost_needs(client, alice, kind, shown, hidden):
    signed_in(client, alice)
    assert "A purchase" in client.get(reverse("ledger:item_new")).content.decode()
    page = client.get(reverse("ledger:item_new") + f"?kind={kind}").content.decode()
    for name in shown:
        assert f'name="{name}"' in page, name
    for name in hidden:
        assert f'name="{name}"' not in page, name


def test_adding_a_purchase_shows_its_monthly_figure_in_words(client, alice):
    signed_in(client, alice)
    response = client.post(
        reverse("ledger:item_new") + "?kind=purchase",
        {
            "name": "Mac Studio",
            "category": "hardware",
            "start": "2025-03-20",
            "life_months": "48",
            "amount": "2,499.00",
        },
    )
    item = CostItem.objects.get(name="Mac Studio")
    assert response.status_code == 302 and response["Location"] == reverse("ledger:item", args=[item.pk])
    assert item.kind == "one_off"
    page = client.get(response["Location"]).content.decode()
    assert "2,499.00 over 48 months = 52.06 a month, from March 2025 to February 2029." in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "19.999"}, "Write the amount with at most two decimals (cents), like 19.99."),
        ({"amount": "-5"}, "A price cannot be negative: write what it costs, like 19.99."),
        ({"amount": "a lot"}, "Write the amount as a number, like 19.99."),
        ({"amount": "6.99", "currency": "EUR"}, "Amounts in EUR need the exchange rate: how many USD one EUR is worth"),
        ({"amount": "6.99", "life_months": ""}, "Give a one-off purchase its useful life in months"),
        ({"amount": "6.99", "name": ""}, "Give the cost a name, like"),
    ],
)
def test_a_wrong_item_is_shown_again_with_the_problem_in_words(client, alice, data, message):
    form = {"name": "SSD", "category": "hardware", "start": "2025-03-20", "life_months": "36", **data}
    response = signed_in(client, alice).post(reverse("ledger:item_new") + "?kind=purchase", form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CostItem.objects.exists()


def test_editing_a_subscriptions_price_records_a_change_and_keeps_the_history(client, alice):
    item = subscription()
    signed_in(client, alice)
    form = client.get(reverse("ledger:item_edit", args=[item.pk])).content.decode()
    assert 'name="price_since"' in form and 'value="10"' in form
    response = client.post(
        reverse("ledger:item_edit", args=[item.pk]),
        {
            "name": item.name,
            "category": "subscription",
            "period": "monthly",
            "start": "2024-06-01",
            "amount": "12.00",
            "price_since": "2025-10-01",
        },
    )
    assert response.status_code == 302
    assert list(Price.objects.filter(item=item).values_list("since", "amount")) == [
        (date(2024, 6, 1), Decimal("10.00")),
        (date(2025, 10, 1), Decimal("12.00")),
    ]
    page = client.get(reverse("ledger:item", args=[item.pk])).content.decode()
    history = page[page.index("Price history") :]
    assert history.index("1 October 2025") < history.index("1 June 2024")


@pytest.mark.parametrize("kind", ["purchase", "usage"])
def test_a_cost_with_a_price_history_keeps_its_kind_and_says_what_to_do(client, alice, kind):
    item = subscription(name="Backup storage", amount="10.00")
    services.price_change(item, amount=Decimal("12.00"), since=date(2025, 10, 1))
    signed_in(client, alice)
    url = reverse("ledger:item_edit", args=[item.pk])
    assert "it keeps its kind" in client.get(url).content.decode()
    data = {"name": "Backup storage", "category": "hardware", "start": "2024-06-01", "life_months": "60"}
    data |= {"amount": "10.00", "watts": "40"}
    page = client.post(f"{url}?kind={kind}", data)
    assert page.status_code == 400
    assert (
        "“Backup storage” has 2 prices (from 1 June 2024, 1 October 2025): making it a "
        in page.content.decode().replace("&#x27;", "'")
    )
    assert "end this cost (give it an end date) and add a new one of the other kind." in page.content.decode()
    item.refresh_from_db()
    assert item.kind == "recurring" and item.prices.count() == 2
    # One price only: nothing is lost, the kind may change.
    one = subscription(name="Domain name", amount="12.00", period="yearly")
    data = {"name": "Domain name", "category": "hardware", "start": "2024-06-01", "life_months": "12", "amount": "12"}
    assert client.post(reverse("ledger:item_edit", args=[one.pk]) + "?kind=purchase", data).status_code == 302


def test_record_a_price_change_from_a_day(client, alice):
    item = subscription(name="Domain name", amount="10.44", period="yearly")
    signed_in(client, alice)
    url = reverse("ledger:price_new", args=[item.pk])
    bad = client.post(url, {"amount": "12.001", "since": "2025-04-02"})
    assert bad.status_code == 400 and "at most two decimals" in bad.content.decode()
    early = client.post(url, {"amount": "12", "since": "2020-01-01"})
    assert "A price change cannot come before the start (1 June 2024)." in early.content.decode()
    assert client.post(url, {"amount": "12.00", "since": "2025-04-02"}).status_code == 302
    assert services.current_price(item).amount == Decimal("12.00")
    page = client.get(reverse("ledger:item", args=[item.pk])).content.decode()
    assert "12.00 a year ÷ 12 = 1.00 a month." in page


def test_an_items_page_compares_expected_and_paid_per_month_and_renders_notes_safely(client, alice):
    item = subscription(name="Backup", amount="10.00")
    item.notes = "**Renew** in March <script>alert(1)</script>"
    services.item_save(item)
    today = timezone.localdate()
    services.charge_save(Charge(item=item, day=today, amount=Decimal("10.50"), currency=""))
    page = signed_in(client, alice).get(reverse("ledger:item", args=[item.pk])).content.decode()
    months = page[page.index("Expected and paid") :]
    this_month = months[months.index(f"{today:%B %Y}") :]
    assert this_month.index("10.00") < this_month.index("10.50") < this_month.index("0.50")
    assert months.count("<tr>") >= 12
    assert "<strong>Renew</strong>" in page and "<script>alert(1)" not in page


def test_usage_is_added_on_its_page_and_deleted_after_asking(client, alice):
    item = services.item_save(CostItem(name="Cloud API", kind="usage", category="cloud_api", start=date(2025, 1, 1)))
    signed_in(client, alice)
    page = client.get(reverse("ledger:item", args=[item.pk])).content.decode()
    assert "No usage entered yet" in page and reverse("ledger:usage_new", args=[item.pk]) in page
    bad = client.post(reverse("ledger:usage_new", args=[item.pk]), {"day": "2025-02-03", "amount": "4.5x"})
    assert bad.status_code == 400 and "Write the amount as a number, like 19.99." in bad.content.decode()
    ok = client.post(
        reverse("ledger:usage_new", args=[item.pk]), {"day": "2025-02-03", "amount": "14.20", "note": "January bill"}
    )
    assert ok.status_code == 302
    entry = UsageEntry.objects.get(item=item)
    assert (entry.amount, entry.note) == (Decimal("14.20"), "January bill")
    confirm = client.get(reverse("ledger:usage_delete", args=[entry.pk]))
    assert "Delete the entry of 3 February 2025" in confirm.content.decode() and UsageEntry.objects.exists()
    assert client.post(reverse("ledger:usage_delete", args=[entry.pk])).status_code == 302
    assert not UsageEntry.objects.exists()


def test_the_charges_page_shows_the_months_expected_and_paid_and_adds_a_charge(client, alice):
    item = subscription(name="Backup", amount="10.00")
    signed_in(client, alice)
    month = figures.month_start(timezone.localdate())
    empty = client.get(reverse("ledger:charges")).content.decode()
    assert f"No charges in {month:%B %Y}" in empty and "Expected <strong>10.00 USD</strong>" in empty
    response = client.post(
        reverse("ledger:charge_new"),
        {"day": month.isoformat(), "amount": "12.00", "item": item.pk, "description": "B2"},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"?month={month:%Y-%m}")
    page = client.get(response["Location"]).content.decode()
    assert "paid <strong>12.00 USD</strong>" in page and "2.00 more than expected" in page
    bad = client.post(reverse("ledger:charge_new"), {"day": month.isoformat(), "amount": "1.005"})
    assert bad.status_code == 400 and "at most two decimals" in bad.content.decode()
    earlier = client.get(reverse("ledger:charges") + "?month=2024-01").content.decode()
    assert "No charges in January 2024" in earlier
    assert client.get(reverse("ledger:charges") + "?month=garbage").status_code == 200


def test_unassigned_imported_charges_are_marked_and_can_be_assigned(client, alice):
    item = subscription(name="Backup", amount="10.00")
    batch = ImportBatch.objects.create(filename="bank.csv", content="")
    (charge,) = services.charges_create(
        [Charge(day=date(2025, 5, 4), amount=Decimal("10.00"), currency="", description="BACKBLAZE")], batch=batch
    )
    signed_in(client, alice)
    elsewhere = client.get(reverse("ledger:charges") + "?month=2025-06").content.decode()
    assert "May 2025 (1)" in elsewhere
    page = client.get(reverse("ledger:charges") + "?month=2025-05").content.decode()
    assert 'class="ledger-unassigned"' in page and "Not assigned" in page and "imported" in page
    assert client.post(reverse("ledger:charge_assign", args=[charge.pk]), {"item": ""}).status_code == 400
    assert client.post(reverse("ledger:charge_assign", args=[charge.pk]), {"item": item.pk}).status_code == 302
    charge.refresh_from_db()
    assert charge.item == item and charge.source == "import"
    assert "ledger-unassigned" not in client.get(reverse("ledger:charges") + "?month=2025-05").content.decode()


def test_after_a_currency_change_old_rows_can_still_be_assigned_and_edited(client, alice):
    """Entered in USD (rate 1), then the household switched to EUR: the old rows keep USD at 1."""
    item = subscription(name="Backup", amount="10.00")
    batch = ImportBatch.objects.create(filename="bank.csv", content="")
    (charge,) = services.charges_create(
        [Charge(day=date(2025, 5, 4), amount=Decimal("10.00"), currency="", description="BACKBLAZE")], batch=batch
    )
    signed_in(client, alice)
    page = client.get(reverse("ledger:settings")).content.decode()
    assert "Changing it converts nothing" in page and "keep it with a rate of 1" in page
    services.settings_save(LedgerSettings(currency="EUR", kwh_price=Decimal("0.30"), creep_percent=Decimal(10)))
    assign = client.post(reverse("ledger:charge_assign", args=[charge.pk]), {"item": item.pk})
    assert assign.status_code == 302, assign.content.decode()
    charge.refresh_from_db()
    assert (charge.item, charge.currency, charge.rate) == (item, "USD", Decimal(1))
    # The item's edit form sends its price back as it is: nothing new, no rate asked.
    edit = {"name": "Backup (B2)", "category": "subscription", "period": "monthly", "start": "2024-06-01"}
    edit |= {"amount": "10", "currency": "USD", "rate": "1"}
    saved = client.post(reverse("ledger:item_edit", args=[item.pk]), edit)
    assert saved.status_code == 302, saved.content.decode()
    # A new value still needs its rate.
    services.charge_save(charge)  # as it is
    charge.rate = Decimal("1.0000")
    services.charge_save(charge)  # the same rate, written otherwise
    with pytest.raises(ValidationError, match="need the exchange rate"):
        services.charge_save(Charge(day=date(2025, 6, 1), amount=Decimal("3.00"), currency="USD"))
    edit |= {"amount": "11"}
    assert "need the exchange rate" in client.post(reverse("ledger:item_edit", args=[item.pk]), edit).content.decode()


def test_deleting_an_item_asks_first_and_leaves_its_charges_unassigned(client, alice):
    item = purchase()
    services.charge_save(Charge(item=item, day=timezone.localdate(), amount=Decimal(2499), currency=""))
    signed_in(client, alice)
    confirm = client.get(reverse("ledger:item_delete", args=[item.pk])).content.decode()
    assert "Delete “Mac Studio”?" in confirm and "1 charge will show as not assigned" in confirm
    assert CostItem.objects.exists()
    assert client.post(reverse("ledger:item_delete", args=[item.pk])).status_code == 302
    assert not CostItem.objects.exists() and Charge.objects.get().item is None


def test_the_settings_page_saves_and_is_on_the_settings_page(client, alice):
    signed_in(client, alice)
    assert reverse("ledger:settings") in client.get(reverse("core:settings")).content.decode()
    bad = client.post(reverse("ledger:settings"), {"currency": "USD", "kwh_price": "0.30", "creep_percent": "0"})
    assert bad.status_code == 400 and "The creep threshold must be more than 0%." in bad.content.decode()
    response = client.post(
        reverse("ledger:settings"),
        {
            "currency": "eur",
            "kwh_price": "0.32",
            "creep_percent": "15",
            "cloud_alternative": "85.00",
            "cloud_alternative_note": "Two seats",
        },
    )
    assert response.status_code == 302
    settings = LedgerSettings.load()
    assert (settings.currency, settings.kwh_price, settings.creep_percent) == ("EUR", Decimal("0.32"), Decimal(15))


def test_electricity_says_how_its_figure_is_computed(client, alice):
    item = services.item_save(
        CostItem(
            name="Studio power", kind="recurring", category="electricity", start=date(2025, 1, 1), watts=Decimal(45)
        )
    )
    page = signed_in(client, alice).get(reverse("ledger:item", args=[item.pk])).content.decode()
    # 45 W x 730.5 h = 32.8725 kWh x 0.30 = 9.86175
    assert "45 W (entered) × 730.5 hours = 32.87 kWh a month × 0.3 per kWh = 9.86 a month." in page
