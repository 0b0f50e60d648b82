"""The bill review's form: one small form per recurring item (its decision, the end date or the
new price and its day, a note), and one for the overall notes. They judge what was written;
reviews.bill_review_save writes it through the ledger's services, whose rules judge the rest."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from apps.ledger import figures, reviews
from apps.ledger.forms import AmountField
from apps.ledger.models import NOTES_LIMIT, CostItem, Price, ReviewItem

AMOUNT_WORDS = "Write the new price, like 12.50."
AMOUNT_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "maxlength": "30", "size": "10"}
DATE_WORDS = "Write a date, like {today:%Y-%m-%d}."


def _date(label: str, today: date) -> forms.DateField:
    words = DATE_WORDS.format(today=today)
    return forms.DateField(
        label=label,
        required=False,
        initial=today,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": words},
    )


class ItemDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=ReviewItem.Decision.choices, widget=forms.RadioSelect, required=False, initial=ReviewItem.Decision.KEEP
    )
    # Read as every amount in the ledger is (19.99 or 19,99); price_change judges its decimals.
    amount = AmountField(label="New price", required=False, widget=forms.TextInput(attrs=AMOUNT_ATTRS))
    note = forms.CharField(label="Note", required=False, max_length=300)

    def __init__(self, *args: Any, item: CostItem, month: figures.Month, today: date, **kwargs: Any) -> None:
        kwargs["prefix"] = f"item-{item.pk}"
        super().__init__(*args, **kwargs)
        self.item = item
        self.today = today
        self.fields["end"] = _date("Ends on", today)
        self.fields["since"] = _date("New price from", today)
        self.order_fields(["decision", "end", "amount", "since", "note"])
        self.price: Price | None = figures.price_in_effect(item.prices.all(), today)
        self.monthly = month.amount_of(item.pk)
        if self.price:
            self.fields["amount"].label = f"New price ({self.price.currency}, {item.get_period_display().lower()})"

    @property
    def price_words(self) -> str:
        """ "9.99 USD every month (9.99 a month)" """
        if self.price is None:
            return "No price recorded"
        period = self.item.get_period_display().lower()
        words = f"{figures.money(self.price.amount)} {self.price.currency} {period}"
        if self.price.amount != self.monthly:
            words += f" ({figures.money(self.monthly)} a month)"
        return words

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        decision = cleaned.get("decision") or ReviewItem.Decision.KEEP
        cleaned["decision"] = decision
        changed = decision == ReviewItem.Decision.PRICE_CHANGED
        if changed and cleaned.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", AMOUNT_WORDS)
        return cleaned

    def chosen(self) -> reviews.ItemDecision:
        data = self.cleaned_data
        return reviews.ItemDecision(
            item=self.item,
            decision=data["decision"],
            note=data.get("note", ""),
            end=data.get("end") or self.today,
            amount=data.get("amount"),
            since=data.get("since") or self.today,
        )


class ReviewNotesForm(forms.Form):
    notes = forms.CharField(
        label="Notes for the whole review",
        required=False,
        max_length=NOTES_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you decided and why, for the next review. Markdown works.",
    )
