"""Alice imports bank and card exports: the page guesses the columns and formats, the preview
shows every row, and confirming saves every row or none, once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.ledger import services
from apps.ledger.models import Charge, CostItem, ImportBatch
from tests.ledger.conftest import choices, confirm, corpus, household, text, uploaded

pytestmark = pytest.mark.django_db


def saved() -> list[tuple]:
    return list(
        Charge.objects.order_by("day", "pk").values_list("day", "amount", "currency", "rate", "description", "source")
    )


def test_a_german_bank_export_in_windows_1252_is_read_and_saved(owner):
    household("EUR")
    batch = uploaded(owner, "Umsaetze.csv", corpus("german_bank.csv"))
    page = owner.get(reverse("ledger:import_batch", args=[batch.pk]))
    assert "Read as Windows-1252 (not UTF-8), separated by semicolons: 4 rows" in text(page)
    assert choices(owner, batch) | {"csrfmiddlewaretoken": ""} == {
        "date": "0",
        "amount": "4",
        "sign": "negative_paid",
        "debit": "",
        "credit": "",
        "description": "2",
        "details": "3",
        "currency_column": "5",
        "date_format": "%d.%m.%Y",
        "locale": "de_DE",
        "currency": "EUR",
        "rate": "1",
        "item": "",
        "csrfmiddlewaretoken": "",
    }
    assert page.context["preview"].summary() == "3 rows ready, 1 row of money in skipped and 0 errors."
    messages = [line.message for line in page.context["preview"].lines]
    assert "row 4: money in (2,500.00), not a charge: skipped" in messages

    response = confirm(owner, batch)
    assert response.status_code == 302
    assert saved() == [
        (
            date(2026, 11, 3),
            Decimal("12.49"),
            "EUR",
            1,
            "Hetzner Online GmbH · Rechnung R0012345 Cloud-Server 12,49 €",
            "import",
        ),
        (date(2026, 11, 5), Decimal("84.00"), "EUR", 1, "Stadtwerke München · Abschlag Strom November", "import"),
        (
            date(2026, 11, 14),
            Decimal("1234.56"),
            "EUR",
            1,
            "Apple Distribution · Mac mini M4 Gerät für Sprache",
            "import",
        ),
    ]
    batch.refresh_from_db()
    assert (batch.status, batch.saved_rows) == (ImportBatch.Status.SAVED, 3)
    assert set(Charge.objects.values_list("batch", flat=True)) == {batch.pk}
    page = owner.get(response.url)
    assert "Saved 3 charges. 3 rows ready, 1 row of money in skipped and 0 errors." in text(page)
    assert "Saved 3 charges from this file" in text(page)


def test_a_us_card_export_reads_dollars_thousands_and_month_first_dates(owner):
    batch = uploaded(owner, "activity.csv", corpus("us_card.csv"))
    page = owner.get(reverse("ledger:import_batch", args=[batch.pk]))
    assert "The dates could be read more than one way" in text(page)
    assert choices(owner, batch)["sign"] == "positive_paid"
    confirm(owner, batch)
    assert [(day, amount, words) for day, amount, _, _, words, _ in saved()] == [
        (date(2026, 11, 3), Decimal("20.00"), "OPENAI *CHATGPT SUBSCR"),
        (date(2026, 11, 5), Decimal("1299.00"), "APPLE STORE, NEW YORK"),
        (date(2026, 11, 12), Decimal("4.00"), "GITHUB INC"),
    ]


def test_the_owner_may_read_ambiguous_dates_day_first(owner):
    batch = uploaded(owner, "activity.csv", corpus("us_card.csv"))
    confirm(owner, batch, date_format="%d/%m/%Y")
    assert [row[0] for row in saved()] == [date(2026, 3, 11), date(2026, 5, 11), date(2026, 12, 11)]


def test_a_byte_order_mark_is_not_part_of_the_first_column_name(owner):
    batch = uploaded(owner, "bom.csv", corpus("bom.csv"))
    assert "Read as UTF-8 with a byte-order mark" in text(owner.get(reverse("ledger:import_batch", args=[batch.pk])))
    assert choices(owner, batch)["date"] == "0"
    confirm(owner, batch)
    assert [row[:2] for row in saved()] == [(date(2026, 11, 3), Decimal("6.00")), (date(2026, 11, 4), Decimal("14.99"))]


def test_debit_and_credit_columns_save_the_debits(owner):
    household("GBP")
    batch = uploaded(owner, "statement.csv", corpus("debit_credit.csv"))
    picked = choices(owner, batch)
    assert (picked["amount"], picked["debit"], picked["credit"], picked["date_format"]) == ("", "2", "3", "%d %b %Y")
    confirm(owner, batch)
    assert [row[:3] for row in saved()] == [
        (date(2026, 11, 3), Decimal("12.00"), "GBP"),
        (date(2026, 11, 6), Decimal("1050.25"), "GBP"),
    ]


def test_empty_lines_are_skipped_and_rows_keep_the_numbers_a_spreadsheet_shows(owner):
    batch = uploaded(owner, "lines.csv", corpus("empty_lines.csv"))
    preview = owner.get(reverse("ledger:import_batch", args=[batch.pk])).context["preview"]
    assert [line.row for line in preview.lines] == [4, 7]
    confirm(owner, batch)
    assert len(saved()) == 2


def test_choosing_the_wrong_number_format_shows_errors_and_the_right_one_fixes_them(owner):
    household("EUR")
    batch = uploaded(owner, "Umsaetze.csv", corpus("german_bank.csv"))
    data = choices(owner, batch) | {"locale": "en_US"}
    page = owner.post(reverse("ledger:import_batch", args=[batch.pk]), data)
    assert [line.message for line in page.context["preview"].errors][:1] == [
        "row 2: “-12,49” is not an amount written like 1,234.56"
    ]
    assert ImportBatch.objects.get().mapping["locale"] == "en_US"  # kept for the next visit
    assert choices(owner, batch)["locale"] == "en_US"
    page = owner.post(reverse("ledger:import_batch", args=[batch.pk]), data | {"locale": "de_DE"})
    assert page.context["preview"].errors == []


DUPLICATES = b"Date,Description,Amount\n2026-11-03,Tailscale,-6.00\n2026-11-04,Coffee,-3.00\n2026-11-04,Coffee,-3.00\n"


def test_duplicates_of_saved_charges_and_of_earlier_rows_are_flagged_and_skipped(owner):
    Charge.objects.create(day=date(2026, 11, 3), amount=Decimal("6.0000"), currency="USD", description="  TAILSCALE ")
    batch = uploaded(owner, "dups.csv", DUPLICATES)
    preview = owner.get(reverse("ledger:import_batch", args=[batch.pk])).context["preview"]
    assert [(line.row, line.status, line.problem) for line in preview.lines] == [
        (2, "duplicate", "already saved as a charge (same day, amount and description)"),
        (3, "ready", ""),
        (4, "duplicate", "the same as row 3 (same day, amount and description)"),
    ]
    assert preview.summary() == "1 row ready, 2 duplicates skipped and 0 errors."
    confirm(owner, batch)
    assert Charge.objects.filter(source="import").count() == 1


def test_ticking_include_duplicates_saves_them(owner):
    Charge.objects.create(day=date(2026, 11, 3), amount=Decimal("6.00"), currency="USD", description="Tailscale")
    batch = uploaded(owner, "dups.csv", DUPLICATES)
    confirm(owner, batch, include_duplicates="on")
    assert Charge.objects.filter(source="import").count() == 3


def test_a_second_confirm_saves_nothing_more(owner):
    batch = uploaded(owner, "bom.csv", corpus("bom.csv"))
    data = choices(owner, batch)
    url = reverse("ledger:import_save", args=[batch.pk])
    owner.post(url, data)
    response = owner.post(url, data, follow=True)  # the back button, a double click
    assert Charge.objects.count() == 2
    assert "This file was already saved (2 charges); nothing more was." in text(response)


def test_the_claim_lets_only_one_save_through(owner):
    batch = uploaded(owner, "bom.csv", corpus("bom.csv"))
    stale_copy = ImportBatch.objects.get(pk=batch.pk)  # both requests loaded the draft
    charge = Charge(day=date(2026, 11, 3), amount=Decimal(6), currency="USD", description="x")
    assert services.import_batch_save(batch, charges=[charge], mapping={}) == 1
    again = Charge(day=date(2026, 11, 3), amount=Decimal(6), currency="USD", description="x")
    assert services.import_batch_save(stale_copy, charges=[again], mapping={}) is None
    assert Charge.objects.count() == 1


def test_a_row_the_charge_rules_refuse_at_save_keeps_the_whole_batch_unsaved(owner):
    batch = uploaded(owner, "bom.csv", corpus("bom.csv"))
    good = Charge(day=date(2026, 11, 3), amount=Decimal(6), currency="USD", description="ok")
    foreign = Charge(day=date(2026, 11, 4), amount=Decimal(7), currency="EUR", description="no rate")
    with pytest.raises(services.ChargeRowsInvalid) as refused:
        services.import_batch_save(batch, charges=[good, foreign], mapping={})
    assert refused.value.messages[0].startswith("Row 2: Amounts in EUR need the exchange rate")
    assert Charge.objects.count() == 0
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.DRAFT


def test_every_row_can_be_assigned_to_an_item(owner):
    item = CostItem.objects.create(name="Cloud storage", start=date(2026, 1, 1))
    batch = uploaded(owner, "bom.csv", corpus("bom.csv"))
    confirm(owner, batch, item=str(item.pk))
    assert set(Charge.objects.values_list("item", flat=True)) == {item.pk}


def test_a_file_in_another_currency_needs_its_rate(owner):
    household("USD")
    batch = uploaded(owner, "Umsaetze.csv", corpus("german_bank.csv"))
    page = owner.get(reverse("ledger:import_batch", args=[batch.pk]))
    assert "The file is in EUR and the household counts in USD: give the exchange rate below." in text(page)
    assert "Give the exchange rate: how many USD one EUR is worth, like 1.08." in text(page)
    assert page.context["preview"] is None
    confirm(owner, batch, rate="1.08")
    assert {row[2:4] for row in saved()} == {("EUR", Decimal("1.08"))}


def test_one_amount_column_and_debit_columns_together_are_refused(owner):
    batch = uploaded(owner, "statement.csv", corpus("debit_credit.csv"))
    response = confirm(owner, batch, amount="4")
    assert response.status_code == 400
    assert "Choose either one amount column or debit and credit columns, not both." in text(response)
    assert not Charge.objects.exists()


def test_a_new_upload_prunes_drafts_older_than_a_day(owner):
    old = uploaded(owner, "bom.csv", corpus("bom.csv"))
    kept_saved = uploaded(owner, "bom.csv", corpus("bom.csv"))
    confirm(owner, kept_saved, include_duplicates="on")
    recent = uploaded(owner, "bom.csv", corpus("bom.csv"))
    two_days_ago = timezone.now() - timedelta(days=2)
    ImportBatch.objects.filter(pk__in=[old.pk, kept_saved.pk]).update(created=two_days_ago)
    newest = uploaded(owner, "bom.csv", corpus("bom.csv"))
    assert set(ImportBatch.objects.values_list("pk", flat=True)) == {kept_saved.pk, recent.pk, newest.pk}


def test_the_upload_page_lists_imports_and_links_the_exports(owner):
    page = owner.get(reverse("ledger:import"))
    assert "Nothing imported yet." in text(page)
    assert reverse("ledger:export_items") in text(page) and reverse("ledger:export_charges") in text(page)
    assert 'aria-current="page">Import</a>' in text(page)
    uploaded(owner, "bom.csv", corpus("bom.csv"))
    assert "Not saved yet" in text(owner.get(reverse("ledger:import")))


def test_an_amount_with_more_than_two_decimals_is_an_error_in_the_preview_at_its_row(owner):
    household("USD")
    data = b"Date,Description,Amount\n2026-11-03,Domain,-9.99\n2026-11-04,Coffee,-3.50\n2026-11-05,Fuel,-41.237\n"
    batch = uploaded(owner, "card.csv", data)
    page = owner.get(reverse("ledger:import_batch", args=[batch.pk]))
    preview = page.context["preview"]
    assert preview.summary() == "2 rows ready and 1 error."
    assert [line.message for line in preview.errors] == [
        "row 4: 41.237: Write the amount with at most two decimals (cents), like 19.99."
    ]
    assert '<td class="amount">41.237</td>' in text(page)  # as read, not rounded to 41.24
    response = confirm(owner, batch)
    assert response.status_code == 400
    assert "Nothing was saved: 1 row has errors (row 4)." in text(response)
    assert not Charge.objects.exists()


def test_a_row_refused_at_the_save_is_named_by_its_row_in_the_file(owner):
    batch = ImportBatch.objects.create(filename="bank.csv", content="")
    charges = [
        Charge(day=date(2026, 11, 3), amount=Decimal("9.99"), currency=""),
        Charge(day=date(2026, 11, 4), amount=Decimal("3"), currency="GBP"),
    ]
    with pytest.raises(services.ChargeRowsInvalid) as caught:
        services.import_batch_save(batch, charges=charges, mapping={}, rows=[2, 7])
    assert caught.value.messages == [
        "Row 7: Amounts in GBP need the exchange rate: how many USD one GBP is worth, like 1.08."
    ]
    assert not Charge.objects.exists()
