"""The owner's cost items: the list by category, the form (adapted to the kind of cost), an
item's page with its figure in words, price history, expected against paid, usage entries
and charges; price changes and deletes. Writes go through services.py."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from apps.accounts.roles import require
from apps.ledger import explain, figures, services, tokens
from apps.ledger.forms import PRESETS, ChargeForm, ItemForm, PriceChangeForm, UsageForm, add_errors, preset_of
from apps.ledger.models import Category, CostItem, Kind, LedgerSettings, Price, UsageEntry


def _item(pk: int) -> CostItem:
    items = CostItem.objects.select_related("host", "ups", "backend").prefetch_related(
        Prefetch("prices", queryset=Price.objects.order_by("since"))
    )
    return get_object_or_404(items, pk=pk)


@require("ledger")
def items(request: HttpRequest) -> HttpResponse:
    month = figures.run_rate()
    by_category: dict[str, list[tuple[CostItem, Decimal]]] = defaultdict(list)
    for item in figures.items():
        by_category[item.category].append((item, month.amount_of(item.pk)))
    groups = [
        {
            "label": label,
            "rows": [
                {"item": item, "monthly": amount}
                for item, amount in sorted(by_category[value], key=lambda row: row[0].name.lower())
            ],
        }
        for value, label in Category.choices
        if by_category[value]
    ]
    context = {"groups": groups, "month": month, "currency": services.household_currency()}
    return render(request, "ledger/items.html", context)


def _save_item(request: HttpRequest, form: ItemForm) -> CostItem | None:
    if not form.is_valid():
        return None
    try:
        return services.item_save(form.instance, **form.money(), price_since=form.cleaned_data.get("price_since"))
    except ValidationError as error:
        add_errors(form, error)
        return None


@require("ledger")
def item_new(request: HttpRequest) -> HttpResponse:
    preset = request.GET.get("kind", "")
    if preset not in PRESETS:
        return render(request, "ledger/item_kind.html", {"presets": PRESETS})
    form = ItemForm(request.POST or None, preset=preset, initial={"start": timezone.localdate()})
    if request.method == "POST" and (item := _save_item(request, form)):
        messages.success(request, f"Added “{item.name}”.")
        return redirect("ledger:item", pk=item.pk)
    context = {"form": form, "preset": PRESETS[preset], "preset_name": preset, "presets": PRESETS}
    return render(request, "ledger/item_form.html", context, status=400 if form.errors else 200)


@require("ledger")
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(pk)
    preset = request.GET.get("kind", "")
    preset = preset if preset in PRESETS else preset_of(item)
    form = ItemForm(request.POST or None, instance=item, preset=preset)
    if request.method == "POST" and (saved := _save_item(request, form)):
        messages.success(request, f"Saved “{saved.name}”.")
        return redirect("ledger:item", pk=saved.pk)
    context = {
        "form": form,
        "item": item,
        "preset": PRESETS[preset],
        "preset_name": preset,
        "presets": PRESETS,
        "keeps_kind": len(item.prices.all()) > 1,  # services.kind_change_problem
    }
    return render(request, "ledger/item_form.html", context, status=400 if form.errors else 200)


def _detail_context(item: CostItem) -> dict[str, Any]:
    today = timezone.localdate()
    month = figures.month_start(today)
    settings = LedgerSettings.load()
    usage = figures.usage_by_month(month, month).get((item.pk, month), figures.NO_USAGE)
    rows = explain.expected_and_actual(item, today=today)
    return {
        "item": item,
        "currency": settings.currency,
        "monthly": figures.monthly_cost(item, month, today=today, kwh_price=settings.kwh_price, usage=usage),
        "words": explain.in_words(
            item, today=today, kwh_price=settings.kwh_price, household=settings.currency, usage=usage
        ),
        "prices": list(item.prices.all())[::-1],
        "rows": rows,
        "expected_total": sum((row.expected for row in rows), Decimal(0)),
        "actual_total": sum((row.actual for row in rows), Decimal(0)),
        "usage": item.usage.order_by("-day", "-pk")[:24],
        "charges": item.charges.order_by("-day", "-pk")[:24],
        "is_recurring": item.kind == Kind.RECURRING and services.needs_price(item),
        "is_usage": item.kind == Kind.USAGE,
        # Who used a paid backend this month (today included), for its cloud API item.
        "members": tokens.cloud_spend_by_member(today=today, backend=item.backend) if item.backend else [],
    }


@require("ledger")
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(pk)
    context = {
        **_detail_context(item),
        "usage_form": UsageForm(),
        "charge_form": ChargeForm(initial={"item": item.pk}),
    }
    return render(request, "ledger/item.html", context)


@require("ledger")
def item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(pk)
    if request.method == "POST":
        services.item_delete(item)
        messages.success(request, f"Deleted “{item.name}”.")
        return redirect("ledger:items")
    context = {
        "title": f"Delete “{item.name}”?",
        "what": "Its price history and usage entries go with it. Its charges stay, without an item.",
        "charges": item.charges.count(),
        "back": item,
    }
    return render(request, "ledger/confirm_delete.html", context)


@require("ledger")
def price_new(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(pk)
    form = PriceChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            price = services.price_change(item, **form.money(), since=form.cleaned_data["since"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, f"“{item.name}” costs {figures.money(price.amount)} from {price.since:%-d %B %Y}."
            )
            return redirect("ledger:item", pk=item.pk)
    context = {"form": form, "item": item, "current": services.current_price(item)}
    return render(request, "ledger/price_form.html", context, status=400 if form.errors else 200)


@require("ledger")
def usage_new(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(pk)
    form = UsageForm(request.POST or None, instance=UsageEntry(item=item))
    if request.method == "POST" and form.is_valid():
        entry = form.instance
        money = form.money()
        entry.amount, entry.currency, entry.rate = money["amount"], money["currency"], money["rate"]
        try:
            services.usage_save(entry)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Added {figures.money(entry.amount)} on {entry.day:%-d %B %Y}.")
            return redirect("ledger:item", pk=item.pk)
    return render(request, "ledger/usage_form.html", {"form": form, "item": item}, status=400 if form.errors else 200)


@require("ledger")
def usage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(UsageEntry.objects.select_related("item"), pk=pk, source=UsageEntry.Source.MANUAL)
    if request.method == "POST":
        services.usage_delete(entry)
        messages.success(request, "Deleted the usage entry.")
        return redirect("ledger:item", pk=entry.item_id)
    context = {
        "title": f"Delete the entry of {entry.day:%-d %B %Y} ({figures.money(entry.amount, entry.currency)})?",
        "what": "The month's figure for this cost is recomputed without it.",
        "back": entry.item,
    }
    return render(request, "ledger/confirm_delete.html", context)
