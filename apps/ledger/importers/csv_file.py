"""CSV (and tab-separated) exports: decoding, the delimiter, the header and the rows, bounded.

Named csv_file, not csv, so that `import csv` here is the standard library's.
"""

from __future__ import annotations

import codecs
import csv
import io
import re

from apps.core.uploads import megabytes
from apps.ledger.importers import MAX_BYTES, MAX_COLUMNS, MAX_FIELD, MAX_ROWS, Decoded, FileProblem, Row, Table

KIND = "csv"
DELIMITERS = (";", ",", "\t")  # semicolons first: a German export's amounts hold commas
SNIFF_LINES = 50
NOT_CSV = "This is not a CSV file{what}. Export the statement from your bank as CSV and upload that."
# Characters no text export contains; a picture or a program decoded as Latin-1 is full of them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SIGNATURES = {
    b"\x89PNG": " (it is a PNG picture)",
    b"\xff\xd8\xff": " (it is a JPEG picture)",
    b"%PDF": " (it is a PDF)",
    b"PK\x03\x04": " (it is a zip archive or an Excel workbook: open it and save it as CSV)",
    b"\xd0\xcf\x11\xe0": " (it is an old Excel workbook: open it and save it as CSV)",
}


class CsvReader:
    kind = KIND
    label = "CSV file (comma, semicolon or tab separated)"

    def decode(self, data: bytes) -> Decoded:
        return decode(data)

    def table(self, text: str) -> Table:
        return table(text)


READER = CsvReader()


def decode(data: bytes) -> Decoded:
    """UTF-8 with or without a byte-order mark, UTF-16 with one (Excel's "Unicode text"), else
    Windows-1252 (what Excel and most European banks write), else Latin-1, which takes any byte."""
    if not data.strip():
        raise FileProblem("The file is empty. Export the statement again and upload that file.")
    if len(data) > MAX_BYTES:
        raise FileProblem(too_big(len(data)))
    for signature, what in _SIGNATURES.items():
        if data.startswith(signature):
            raise FileProblem(NOT_CSV.format(what=what))
    decoded = _decoded(data)
    if _CONTROL.search(decoded.text):
        raise FileProblem(NOT_CSV.format(what=" (it holds bytes no text file has)"))
    return decoded


def too_big(size: int) -> str:
    shown = megabytes(size)
    size_words = f"more than {shown}" if shown == megabytes(MAX_BYTES) else shown
    return (
        f"The file is {size_words}; an export can be at most {megabytes(MAX_BYTES)}. "
        "Export a shorter period, or a few months at a time."
    )


def _decoded(data: bytes) -> Decoded:
    if data.startswith(codecs.BOM_UTF8):
        return Decoded(data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "UTF-8 with a byte-order mark")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Decoded(data.decode("utf-16", errors="replace"), "UTF-16")
    try:
        return Decoded(data.decode("utf-8"), "UTF-8")
    except UnicodeDecodeError:
        pass
    try:
        return Decoded(data.decode("cp1252"), "Windows-1252 (not UTF-8)")
    except UnicodeDecodeError:
        return Decoded(data.decode("latin-1"), "Latin-1 (not UTF-8)")


def sniff(text: str) -> str:
    """The delimiter that splits the first lines into the same number of columns (two or more)."""
    lines = [line for line in text.splitlines()[: SNIFF_LINES * 2] if line.strip()][:SNIFF_LINES]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            counts = [len(cells) for cells in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        score = (sum(count == counts[0] for count in counts), counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def table(text: str) -> Table:
    delimiter = sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[Row] = []
    line = 0
    while True:
        number = line + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise FileProblem(_csv_error(number, error)) from None
        line = reader.line_num
        cells = [cell.strip() for cell in record]
        if not any(cells):
            continue  # an empty line
        _check_bounds(number, cells)
        if header is None:
            header = [cell or f"Column {index}" for index, cell in enumerate(cells, start=1)]
            continue
        if len(rows) == MAX_ROWS:
            raise FileProblem(
                f"The file has more than {MAX_ROWS:,} rows; an import can have at most {MAX_ROWS:,}. "
                "Export a shorter period."
            )
        rows.append(Row(number, cells))
    if header is None:
        raise FileProblem("The file is empty. Export the statement again and upload that file.")
    if not rows:
        raise FileProblem("The file has a header row but no rows under it: there is nothing to import.")
    return Table(header=header, rows=rows, delimiter=delimiter)


def _check_bounds(number: int, cells: list[str]) -> None:
    if len(cells) > MAX_COLUMNS:
        raise FileProblem(
            f"Row {number} has {len(cells)} columns; a file can have at most {MAX_COLUMNS}. "
            "Is this a bank statement? Export it as CSV again."
        )
    for column, cell in enumerate(cells, start=1):
        if len(cell) > MAX_FIELD:
            raise FileProblem(
                f"Row {number}, column {column} is {len(cell):,} characters long; a cell can hold at most "
                f'{MAX_FIELD:,}. Is a quote (") missing its partner before it?'
            )


def _csv_error(number: int, error: csv.Error) -> str:
    words = str(error)
    if "end of data" in words or "field larger" in words or "expected after" in words:
        return (
            f'Row {number}: a quote (") opens a cell that does not close where it should. '
            "Fix the quotes in that row, or export the file again."
        )
    return f"Row {number} cannot be read as CSV ({words}). Export the file again."
