"""The import's two forms: the upload (the reader judges the file) and the column mapping."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from apps.core.uploads import megabytes, name_problem
from apps.ledger.importers import MAX_BYTES, Decoded, FileProblem, Table, csv_file, reader_for
from apps.ledger.importers.mapping import SIGNS, Mapping
from apps.ledger.importers.values import DATE_FORMATS, NUMBER_LOCALES
from apps.ledger.models import CostItem, currency_code

NONE = ""


class UploadForm(forms.Form):
    file = forms.FileField(
        allow_empty_file=True,  # the reader says "The file is empty" in its own words
        label="Bank or card export (CSV)",
        help_text=f"Comma, semicolon or tab separated, with a header row; at most {megabytes(MAX_BYTES)}.",
        error_messages={"required": "Choose the CSV file your bank or card exported."},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,text/csv,text/plain"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if wrong_name := name_problem(upload.name or ""):
            raise forms.ValidationError(wrong_name)
        if (upload.size or 0) > MAX_BYTES:
            raise forms.ValidationError(csv_file.too_big(upload.size or 0))
        reader = reader_for("csv")
        try:
            self.decoded: Decoded = reader.decode(upload.read(MAX_BYTES + 1))
            self.table: Table = reader.table(self.decoded.text)
        except FileProblem as problem:
            raise forms.ValidationError(problem.message) from None
        return upload


def _column_choices(table: Table, *, blank: str | None) -> list[tuple[str, str]]:
    choices = [(NONE, blank)] if blank else []
    return choices + [(str(index), name) for index, name in enumerate(table.header)]


class MappingForm(forms.Form):
    """Every field is a choice among the file's columns or the known formats; `mapping()` gives
    the Mapping the preview reads. The same fields travel hidden with the confirm button, so
    what is saved is what the preview showed."""

    date = forms.ChoiceField(label="Date")
    amount = forms.ChoiceField(label="Amount (one column, signed)", required=False)
    sign = forms.ChoiceField(label="Which amounts are money paid", choices=SIGNS.items())
    debit = forms.ChoiceField(label="…or money out (debit)", required=False)
    credit = forms.ChoiceField(label="and money in (credit)", required=False)
    description = forms.ChoiceField(label="Description")
    details = forms.ChoiceField(label="More description (optional)", required=False)
    currency_column = forms.ChoiceField(label="Currency column (optional)", required=False)
    date_format = forms.ChoiceField(label="Dates are written like", choices=DATE_FORMATS.items())
    locale = forms.ChoiceField(label="Amounts are written like", choices=NUMBER_LOCALES.items())
    currency = forms.CharField(
        label="The file's currency",
        max_length=3,
        validators=[currency_code],
        help_text="A three-letter code, like USD or EUR.",
    )
    rate = forms.DecimalField(
        label="Exchange rate",
        min_value=Decimal("0.00000001"),
        max_digits=18,
        decimal_places=8,
        help_text="Household currency per one unit of the file's; 1 when it is the household's.",
        error_messages={"invalid": "Write the rate as a number, like 1.08.", "min_value": "The rate must be above 0."},
    )
    item = forms.ModelChoiceField(
        queryset=CostItem.objects.order_by("name"),
        required=False,
        label="Assign every row to",
        empty_label="No item (match them later)",
    )

    def __init__(self, *args: Any, table: Table, household: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.table, self.household = table, household
        for name, blank in (
            ("date", None),
            ("description", None),
            ("amount", "— none: debit and credit columns —"),
            ("debit", "— none —"),
            ("credit", "— none —"),
            ("details", "— none —"),
            ("currency_column", "— none —"),
        ):
            self.fields[name].choices = _column_choices(table, blank=blank)  # type: ignore[attr-defined]

    @classmethod
    def initial_from(cls, mapping: Mapping, household: str) -> dict[str, Any]:
        def column(value: int | None) -> str:
            return NONE if value is None else str(value)

        return {
            "date": column(mapping.date),
            "amount": column(mapping.amount),
            "debit": column(mapping.debit),
            "credit": column(mapping.credit),
            "description": column(mapping.description),
            "details": column(mapping.details),
            "currency_column": column(mapping.currency_column),
            "date_format": mapping.date_format,
            "locale": mapping.locale,
            "sign": mapping.sign,
            "currency": mapping.currency or household,
            "rate": mapping.rate,
            "item": mapping.item,
        }

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).upper()

    def clean(self) -> dict[str, Any]:
        data = self.cleaned_data
        amount, debit, credit = data.get("amount"), data.get("debit"), data.get("credit")
        if not amount and not debit and not credit:
            self.add_error("amount", "Choose the amount column, or the debit and credit columns.")
        elif amount and (debit or credit):
            self.add_error("debit", "Choose either one amount column or debit and credit columns, not both.")
        chosen = [data.get(name) for name in ("date", "amount", "debit", "credit", "description", "currency_column")]
        chosen = [value for value in chosen if value]
        if len(chosen) != len(set(chosen)):
            self.add_error(None, "One column is chosen for two things: give each its own column.")
        if data.get("currency") == self.household:
            data["rate"] = Decimal(1)
        elif data.get("currency") and data.get("rate") == 1:
            self.add_error(
                "rate",
                f"Give the exchange rate: how many {self.household} one {data['currency']} is worth, like 1.08.",
            )
        return data

    def mapping(self) -> Mapping:
        data = self.cleaned_data

        def column(name: str) -> int | None:
            return int(data[name]) if data.get(name) else None

        item = data.get("item")
        return Mapping(
            date=column("date"),
            amount=column("amount"),
            debit=column("debit"),
            credit=column("credit"),
            description=column("description"),
            details=column("details"),
            currency_column=column("currency_column"),
            date_format=data["date_format"],
            locale=data["locale"],
            sign=data["sign"],
            currency=data["currency"],
            rate=data["rate"],
            item=item.pk if item else None,
        )
