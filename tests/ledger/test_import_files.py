"""The importer against a corpus of bad files: each is refused with a clear sentence (for the
whole file) or a clear per-row error, and nothing is written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.ledger.importers import MAX_BYTES, MAX_COLUMNS, MAX_FIELD, MAX_ROWS
from apps.ledger.models import Charge, ImportBatch
from tests.ledger.conftest import confirm, corpus, household, text, upload, uploaded

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
ROW = "2026-11-03,Hetzner,-5.00\n"


def too_big() -> bytes:
    data = ("Date,Description,Amount\n" + ROW * (MAX_BYTES // len(ROW) + 1)).encode()
    assert len(data) > MAX_BYTES
    return data


FILE_PROBLEMS = [
    ("empty.csv", None, "The file is empty. Export the statement again and upload that file."),
    ("blank.csv", b"\n\r\n  \n", "The file is empty."),
    ("header_only.csv", None, "The file has a header row but no rows under it: there is nothing to import."),
    ("picture.csv", PNG, "This is not a CSV file (it is a PNG picture)."),
    ("book.csv", b"PK\x03\x04" + b"\x00" * 40, "This is not a CSV file (it is a zip archive or an Excel workbook"),
    ("garbage.csv", bytes(range(256)) * 4, "This is not a CSV file (it holds bytes no text file has)."),
    ("big.csv", too_big(), "The file is more than 2 MB; an export can be at most 2 MB."),
    (
        "wide.csv",
        (",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n" + "1," * MAX_COLUMNS + "1\n").encode(),
        f"Row 1 has {MAX_COLUMNS + 1} columns; a file can have at most {MAX_COLUMNS}.",
    ),
    (
        "long.csv",
        ("Date,Description,Amount\n2026-11-03," + "x" * (MAX_FIELD + 1) + ",-5.00\n").encode(),
        f"Row 2, column 2 is 1,001 characters long; a cell can hold at most {MAX_FIELD:,}.",
    ),
    (
        "many.csv",
        ("Date,Description,Amount\n" + ROW * (MAX_ROWS + 1)).encode(),
        f"The file has more than {MAX_ROWS:,} rows; an import can have at most {MAX_ROWS:,}.",
    ),
    ("unbalanced_quotes.csv", None, 'Row 2: a quote (") opens a cell that does not close where it should.'),
]


@pytest.mark.parametrize(("name", "data", "words"), FILE_PROBLEMS, ids=[row[0] for row in FILE_PROBLEMS])
def test_a_bad_file_is_refused_with_a_sentence_and_nothing_is_kept(owner, name, data, words):
    response = upload(owner, name, data)
    assert response.status_code == 400
    assert words in text(response)
    assert not ImportBatch.objects.exists()
    assert not Charge.objects.exists()


def test_an_upload_larger_than_the_limit_is_refused_before_it_is_read(owner):
    response = owner.post(
        reverse("ledger:import"),
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(MAX_BYTES * 4),
    )
    assert response.status_code == 413
    assert "That file is too big: an export can be at most 2 MB." in text(response)
    assert not ImportBatch.objects.exists()


ROW_PROBLEMS = [
    ("impossible_date.csv", ["row 3: “31/02/2026” is not a date (that month has no such day)"]),
    ("not_a_number.csv", ["row 3: “twelve” is not an amount written like 1,234.56"]),
    ("mixed_dates.csv", ["row 4: “05.11.2026” is not a date written like 2026-11-03 (year-month-day)"]),
]


@pytest.mark.parametrize(("name", "errors"), ROW_PROBLEMS, ids=[row[0] for row in ROW_PROBLEMS])
def test_a_bad_row_is_named_in_the_preview_and_confirming_saves_nothing(owner, name, errors):
    batch = uploaded(owner, name)
    page = owner.get(reverse("ledger:import_batch", args=[batch.pk]))
    preview = page.context["preview"]
    assert [line.message for line in preview.errors] == errors
    assert preview.summary() == "2 rows ready and 1 error."
    assert errors[0] in text(page)
    assert "Save 2 charges" not in text(page)  # no save button while a row is wrong

    response = confirm(owner, batch)
    assert response.status_code == 400
    assert "Nothing was saved: 1 row has errors (row" in text(response)
    assert not Charge.objects.exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DRAFT


def test_a_row_with_neither_debit_nor_credit_is_an_error(owner):
    data = b"Date,Description,Debit,Credit\n2026-11-03,Hetzner,5.00,\n2026-11-04,Nothing,,\n"
    batch = uploaded(owner, "debits.csv", data)
    preview = owner.get(reverse("ledger:import_batch", args=[batch.pk])).context["preview"]
    assert [line.message for line in preview.errors] == ["row 3: neither the debit nor the credit column has an amount"]


def test_a_row_in_another_currency_is_an_error(owner):
    household("EUR")
    data = corpus("german_bank.csv").replace(b"-84,00;EUR", b"-84,00;CHF")
    batch = uploaded(owner, "german.csv", data)
    preview = owner.get(reverse("ledger:import_batch", args=[batch.pk])).context["preview"]
    assert [line.message for line in preview.errors] == [
        "row 3: the amount is in CHF, and this import is in EUR: import those rows separately"
    ]
