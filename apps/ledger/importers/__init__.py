"""Importers: a bank's or card's export file becomes rows of cells, then Charge rows.

One module per kind of file (csv_file.py for now), registered in READERS by the kind an
ImportBatch's mapping names, as the status board's check kinds are. A reader turns the uploaded
bytes into text (`decode`, once, at upload: the batch keeps the text and the encoding it used)
and that text into a Table (`table`, on every look at the batch). Both raise FileProblem with a
sentence for the owner. What the cells mean (dates, amounts, which column is which) is values.py
and mapping.py; the rows to save and their errors are preview.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

# Bounds for hostile or mistaken files: a year of a busy account is a few thousand rows.
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 50
MAX_FIELD = 1_000  # characters in one cell; a bank's longest description is a few hundred


class FileProblem(Exception):
    """The whole file cannot be used; the message says why in the owner's words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Row:
    number: int  # the row as a spreadsheet numbers it: the header is row 1, empty lines count
    cells: list[str]


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[Row]
    delimiter: str = ","

    def column(self, index: int) -> list[str]:
        return [row.cells[index] if index < len(row.cells) else "" for row in self.rows]


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the name shown on the preview, like "UTF-8" or "Windows-1252"


class Reader(Protocol):
    kind: str
    label: str

    def decode(self, data: bytes) -> Decoded: ...

    def table(self, text: str) -> Table: ...


def readers() -> dict[str, Reader]:
    from apps.ledger.importers import csv_file

    return {csv_file.KIND: csv_file.READER}


def reader_for(kind: str) -> Reader:
    return readers().get(kind) or readers()["csv"]
