"""Thin forms: the rules are the models' (full_clean, which a ModelForm runs) and the
services' (money_problems); the forms only choose which fields a kind of cost asks for, and
read an amount as people type it ("1,999.00")."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.core.forms import model_words
from apps.ledger import services
from apps.ledger.models import Category, Charge, CostItem, Kind, LedgerSettings, UsageEntry
from apps.status.models import Kind as CheckKind
from apps.status.models import Service

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
AMOUNT_WORDS = "Write the amount as a number, like 19.99."


class AmountField(forms.CharField):
    """An amount as typed: "1,999.00", "19.99", "-5" (a refund); the services judge its decimals and sign."""

    def __init__(self, **kwargs: Any) -> None:
        attrs = {"inputmode": "decimal", "autocomplete": "off", "maxlength": "30"}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return value

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        amount = services.parse_amount(str(text)) if len(str(text)) <= 30 else None
        if amount is None:
            raise ValidationError(AMOUNT_WORDS, code="invalid")
        return amount


class MoneyForm(forms.Form):
    """What an amount is written in: its currency (the household's when empty) and, for another
    currency, the rate the owner gives."""

    amount = AmountField(label="Amount")
    currency = forms.CharField(
        max_length=3, required=False, help_text="Empty: the household's currency. Otherwise a code like EUR."
    )
    rate = forms.DecimalField(
        required=False,
        label="Exchange rate",
        help_text="Only for another currency: how much of the household's currency one unit is worth, like 1.08.",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={"invalid": "Write the exchange rate as a number, like 1.08."},
    )

    def money(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"amount": data.get("amount"), "currency": data.get("currency") or "", "rate": data.get("rate")}


def add_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's ValidationError on the form: on each field it names, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


# --- cost items ----------------------------------------------------------------------------------

# What the owner is adding: the kind of cost, and for electricity its category too.
PRESETS: dict[str, dict[str, Any]] = {
    "purchase": {
        "kind": Kind.ONE_OFF,
        "category": Category.HARDWARE,
        "title": "A purchase",
        "help": "Hardware bought once, like the Mac Studio or a UPS: its price is spread over its useful life.",
        "fields": ["life_months", "amount", "currency", "rate", "host"],
        "start": "Bought on",
        "amount": "Price",
    },
    "subscription": {
        "kind": Kind.RECURRING,
        "category": Category.SUBSCRIPTION,
        "title": "A subscription",
        "help": "Paid every month, quarter or year, like a domain or off-site backup storage.",
        "fields": ["period", "amount", "currency", "rate", "price_since", "host"],
        "start": "First paid on",
        "amount": "Price each period",
    },
    "usage": {
        "kind": Kind.USAGE,
        "category": Category.CLOUD_API,
        "title": "Paid by use",
        "help": "A bill that differs every month, like a cloud API: enter each month's amount.",
        "fields": ["host"],
        "start": "Since",
        "amount": "",
    },
    "electricity": {
        "kind": Kind.RECURRING,
        "category": Category.ELECTRICITY,
        "title": "Electricity",
        "help": "A machine's power draw, entered in watts or measured by the UPS, at the price per kWh.",
        "fields": ["host", "watts", "ups"],
        "start": "Since",
        "amount": "",
    },
}
COMMON = ["name", "vendor", "category", "start", "end"]


def preset_of(item: CostItem) -> str:
    if item.kind == Kind.ONE_OFF:
        return "purchase"
    if item.kind == Kind.USAGE:
        return "usage"
    return "electricity" if item.category == Category.ELECTRICITY else "subscription"


class ItemForm(MoneyForm, forms.ModelForm):
    """One form for every kind of cost; `preset` keeps the fields that kind needs (so the page
    adapts without JavaScript: the kind is chosen first, by a link)."""

    price_since = forms.DateField(
        required=False,
        label="The new price applies from",
        widget=DATE,
        help_text="Only when the price above changed: the day it changed (empty: today). Earlier prices stay.",
    )

    class Meta:
        model = CostItem
        fields = [
            "name",
            "vendor",
            "category",
            "period",
            "start",
            "end",
            "life_months",
            "host",
            "watts",
            "ups",
            "notes",
        ]
        labels = {"life_months": "Useful life in months", "ups": "UPS that measures it", "watts": "Average watts"}
        widgets = {"start": DATE, "end": DATE, "notes": forms.Textarea(attrs={"rows": 4})}
        error_messages = {
            "start": {"required": "Give the day it was bought or first paid, like 2025-03-14."},
        }

    def __init__(self, *args: Any, preset: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_words(self)
        self.preset = PRESETS[preset]
        self.instance.kind = self.preset["kind"]
        if preset == "electricity":
            self.instance.category = Category.ELECTRICITY
        editing = self.instance.pk is not None
        keep = [*COMMON, *self.preset["fields"], "notes"]
        if preset == "electricity":
            keep.remove("category")
        if not editing or preset != "subscription":
            keep = [name for name in keep if name != "price_since"]
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.order_fields(keep)
        self.fields["start"].label = self.preset["start"]
        if "amount" in self.fields:
            self.fields["amount"].label = self.preset["amount"]
            self.fields["amount"].required = not editing
        if "category" in self.fields and not editing:
            self.fields["category"].initial = self.preset["category"]
        if "ups" in self.fields:
            ups = self.fields["ups"]
            assert isinstance(ups, forms.ModelChoiceField)
            ups.queryset = Service.objects.filter(kind=CheckKind.NUT).order_by("name")
        if "watts" in self.fields:
            self.fields["watts"].help_text = "The machine's average draw, like 45. Empty: measured by the UPS below."
        if editing and "amount" in self.fields and (price := services.current_price(self.instance)) is not None:
            self.initial.setdefault("amount", f"{price.amount.normalize():f}")
            if price.currency != services.household_currency():
                self.initial.setdefault("currency", price.currency)
                self.initial.setdefault("rate", price.rate.normalize())


class PriceChangeForm(MoneyForm):
    since = forms.DateField(label="From", widget=DATE, help_text="The first day the new price is paid.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = "New price each period"
        self.initial.setdefault("since", timezone.localdate())
        self.order_fields(["amount", "since", "currency", "rate"])


# --- usage entries and charges -------------------------------------------------------------------


class UsageForm(MoneyForm, forms.ModelForm):
    class Meta:
        model = UsageEntry
        fields = ["day", "note"]
        labels = {"day": "Day (any day of the month it is for)", "note": "Note"}
        widgets = {"day": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_words(self)
        self.initial.setdefault("day", timezone.localdate())
        self.order_fields(["day", "amount", "currency", "rate", "note"])


class ChargeForm(MoneyForm, forms.ModelForm):
    class Meta:
        model = Charge
        fields = ["day", "item", "description"]
        labels = {"day": "Paid on", "item": "For"}
        widgets = {"day": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_words(self)
        self.fields["amount"].help_text = "What was paid, like 19.99; a refund is negative, like -5.00."
        item = self.fields["item"]
        assert isinstance(item, forms.ModelChoiceField)
        item.empty_label = "(not assigned yet)"
        self.initial.setdefault("day", timezone.localdate())
        if self.instance.pk is not None:
            self.initial.setdefault("amount", f"{self.instance.amount.normalize():f}")
            if self.instance.currency != services.household_currency():
                self.initial.setdefault("currency", self.instance.currency)
                self.initial.setdefault("rate", self.instance.rate.normalize())
        self.order_fields(["day", "amount", "item", "description", "currency", "rate"])


class AssignForm(forms.Form):
    item = forms.ModelChoiceField(
        queryset=CostItem.objects.order_by("name"),
        label="For",
        empty_label="Choose a cost",
        error_messages={
            "required": "Choose the cost this charge was for.",
            "invalid_choice": "Choose a cost from the list.",
        },
    )


# --- settings --------------------------------------------------------------------------------------


class SettingsForm(forms.ModelForm):
    class Meta:
        model = LedgerSettings
        fields = ["currency", "kwh_price", "creep_percent", "cloud_alternative", "cloud_alternative_note"]
        labels = {
            "currency": "Currency",
            "kwh_price": "Price per kWh",
            "creep_percent": "Alert when the monthly cost grows more than (%)",
            "cloud_alternative": "Cloud alternative, a month",
            "cloud_alternative_note": "What that alternative is",
        }
        help_texts = {
            "currency": "The household's currency, like USD or EUR. Changing it converts nothing: amounts "
            "already entered keep their numbers, and those entered in the old currency keep it with a rate of 1, "
            "so they count one for one in the new currency until you correct them. They can still be edited and "
            "assigned as they are: only a new currency or rate asks for its exchange rate.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_words(self)

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").upper()
