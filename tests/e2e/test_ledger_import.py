"""Alice imports her German bank's CSV export: the page guesses the columns, the preview shows
a row with an impossible date and a charge she already has; nothing can be saved until the file
is right. The corrected file saves its charges, the duplicate skipped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.ledger.models import Charge, LedgerSettings
from tests.conftest import make_member
from tests.e2e.conftest import screenshot
from tests.e2e.test_signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPORT = (
    "Buchungstag;Empfänger;Verwendungszweck;Betrag;Währung\r\n"
    "03.11.2026;Hetzner Online GmbH;Cloud-Server November;-12,49;EUR\r\n"
    "05.11.2026;Stadtwerke München;Abschlag Strom;-84,00;EUR\r\n"
    "06.11.2026;Backblaze;B2 Speicher;-6,00;EUR\r\n"
    "10.11.2026;Arbeitgeber GmbH;Gehalt;2.500,00;EUR\r\n"
    "{day}.11.2026;Tailscale;Personal plan;-1.005,00;EUR\r\n"
)


def test_the_owner_previews_a_german_export_with_an_error_and_a_duplicate_then_saves_the_fixed_one(
    page, phone, live_server, tmp_path
):
    make_member("alice", Role.OWNER)
    settings = LedgerSettings.load()
    settings.currency = "EUR"
    settings.save()
    Charge.objects.create(
        day=date(2026, 11, 6), amount=Decimal("6.00"), currency="EUR", description="Backblaze · B2 Speicher"
    )
    wrong = tmp_path / "Umsaetze-November.csv"
    wrong.write_bytes(EXPORT.format(day="31").encode("cp1252"))

    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/ledger/import/")
    expect(page.get_by_role("link", name="Import", exact=True)).to_have_attribute("aria-current", "page")
    page.get_by_label("Bank or card export (CSV)").set_input_files(str(wrong))
    page.get_by_role("button", name="Upload and look at it").click()

    expect(page.get_by_role("heading", name="Import Umsaetze-November.csv")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Read as Windows-1252 (not UTF-8), separated by semicolons: 5 rows")
    expect(page.get_by_label("Date", exact=True)).to_have_value("0")
    expect(page.get_by_label("Amounts are written like")).to_have_value("de_DE")
    # The wrong number format: every amount is refused, in words.
    page.get_by_label("Amounts are written like").select_option("en_US")
    page.get_by_role("button", name="Show the preview").click()
    expect(page.locator(".import-errors")).to_contain_text("row 2: “-12,49” is not an amount written like 1,234.56")
    page.get_by_label("Amounts are written like").select_option("de_DE")
    page.get_by_role("button", name="Show the preview").click()

    status = page.locator("#preview [role=status]")
    expect(status).to_have_text("2 rows ready, 1 duplicate skipped, 1 row of money in skipped and 1 error.")
    expect(page.locator(".import-errors")).to_have_text(
        "row 6: “31.11.2026” is not a date (that month has no such day)"
    )
    expect(page.locator("tr.is-duplicate")).to_contain_text("already saved as a charge")
    expect(page.locator("tr.is-skipped")).to_contain_text("money in (2,500.00), not a charge")
    expect(page.get_by_role("button", name="Save", exact=False)).to_have_count(0)
    expect(page.get_by_role("alert")).to_contain_text("Nothing can be saved while a row has an error")
    screenshot(page, "ledger-import-preview")
    assert Charge.objects.count() == 1

    fixed = tmp_path / "Umsaetze-November-fixed.csv"
    fixed.write_bytes(EXPORT.format(day="30").encode("cp1252"))
    page.goto(f"{live_server.url}/ledger/import/")
    page.get_by_label("Bank or card export (CSV)").set_input_files(str(fixed))
    page.get_by_role("button", name="Upload and look at it").click()
    expect(page.locator("#preview [role=status]")).to_have_text(
        "3 rows ready, 1 duplicate skipped, 1 row of money in skipped and 0 errors."
    )
    page.get_by_role("button", name="Save 3 charges").click()
    expect(page.locator("ul.messages")).to_contain_text("Saved 3 charges.")
    expect(page.locator("table.import-preview tbody tr")).to_have_count(3)
    expect(page.locator("table.import-preview")).to_contain_text("1,005.00 EUR")
    assert sorted(Charge.objects.filter(source="import").values_list("amount", flat=True)) == [
        Decimal("12.49"),
        Decimal("84.00"),
        Decimal("1005.00"),
    ]

    # On a phone the preview scrolls sideways inside its box, the page itself does not.
    phone.context.add_cookies(page.context.cookies())
    batch_url = page.url
    phone.goto(f"{live_server.url}/ledger/import/")
    phone.get_by_label("Bank or card export (CSV)").set_input_files(str(wrong))
    phone.get_by_role("button", name="Upload and look at it").click()
    expect(phone.locator("#preview [role=status]")).to_contain_text("1 error")
    widths = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    screenshot(phone, "ledger-import-phone")
    assert batch_url != phone.url
