"""The owner's charges (what was actually paid) by month, with the month's expected total;
imported charges without an item are marked, each with a way to assign one. Writes go
through services.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.forms.models import ModelChoiceField, ModelChoiceIterator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import require
from apps.ledger import figures, month_param, services
from apps.ledger.forms import AssignForm, ChargeForm, add_errors
from apps.ledger.models import Charge


def _month(text: str) -> date:
    """?month=2026-03, else this month (a bad value too)."""
    try:
        return month_param.parse_month(text)
    except month_param.MonthProblem:
        return figures.month_start(timezone.localdate())


# Unassigned charges that get the assign select in their row; the rest link to their own
# assign page (a busy import month had 29, each with a select of every item: most of the page).
INLINE_ASSIGN = 20
# Charges a page, newest first: a busy import month had 753, and their rows were most of the
# page's time (bench/README.md, "ledger"). The month's totals still add up the whole month.
PAGE_SIZE = 100


def _month_link(month: date) -> str:
    return f"{reverse('ledger:charges')}?month={month:%Y-%m}"


@require("ledger")
def charges(request: HttpRequest) -> HttpResponse:
    month = _month(request.GET.get("month", ""))
    in_month = Charge.objects.filter(day__gte=month, day__lte=figures.month_end(month))
    # get_page: a page number that is not one shows the first page, one past the end the last.
    page = Paginator(in_month.select_related("item", "batch"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    expected = figures.run_rate(month).total
    # Multiplied here, not in SQL, where SQLite would make the product a float.
    actual = sum((amount * rate for amount, rate in in_month.values_list("amount", "rate")), Decimal(0))
    unassigned_months = (
        Charge.objects.filter(item__isnull=True)
        .exclude(day__gte=month, day__lte=figures.month_end(month))
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(count=Count("pk"))
        .order_by("-month")
    )
    context: dict[str, Any] = {
        "month": month,
        "previous": _month_link(figures.add_months(month, -1)),
        "following": _month_link(figures.add_months(month, 1)),
        "charges": rows,
        "page": page,
        "page_link": f"{_month_link(month)}&page=",
        # Reversed once with a placeholder pk; the template puts each row's pk in its place
        # ({% url %} per row cost 2-3 resolver walks a row).
        "item_link": reverse("ledger:item", args=[0]).removesuffix("0/"),
        "edit_link": reverse("ledger:charge_edit", args=[0]).removesuffix("0/"),
        "expected": expected,
        "actual": actual,
        "difference": actual - expected,
        "currency": services.household_currency(),
        "unassigned_elsewhere": [
            {"month": row["month"], "count": row["count"], "link": _month_link(figures.month_start(row["month"]))}
            for row in unassigned_months
        ],
        # The choices once for the page: the template's loop over the field would query the
        # items again for every unassigned charge.
        "inline_assign": {charge.pk for charge in [row for row in rows if row.item_id is None][:INLINE_ASSIGN]},
        "assign_choices": list(ModelChoiceIterator(cast(ModelChoiceField, AssignForm().fields["item"]))),
        "form": ChargeForm(initial={"day": min(figures.month_end(month), timezone.localdate())}),
    }
    return render(request, "ledger/charges.html", context)


def _back(charge: Charge) -> str:
    return _month_link(figures.month_start(charge.day))


def _save_charge(form: ChargeForm) -> Charge | None:
    if not form.is_valid():
        return None
    charge = form.instance
    money = form.money()
    charge.amount, charge.currency, charge.rate = money["amount"], money["currency"], money["rate"]
    try:
        return services.charge_save(charge)
    except ValidationError as error:
        add_errors(form, error)
        return None


@require("ledger")
def charge_new(request: HttpRequest) -> HttpResponse:
    initial = {"item": request.GET.get("item")} if request.GET.get("item", "").isdigit() else {}
    form = ChargeForm(request.POST or None, initial=initial)
    if request.method == "POST" and (charge := _save_charge(form)):
        messages.success(request, f"Added a charge of {figures.money(charge.amount, charge.currency)}.")
        if request.POST.get("next") == "item" and charge.item_id:
            return redirect("ledger:item", pk=charge.item_id)
        return redirect(_back(charge))
    return render(request, "ledger/charge_form.html", {"form": form}, status=400 if form.errors else 200)


@require("ledger")
def charge_edit(request: HttpRequest, pk: int) -> HttpResponse:
    charge = get_object_or_404(Charge, pk=pk)
    form = ChargeForm(request.POST or None, instance=charge)
    if request.method == "POST" and (saved := _save_charge(form)):
        messages.success(request, "Saved the charge.")
        return redirect(_back(saved))
    return render(
        request, "ledger/charge_form.html", {"form": form, "charge": charge}, status=400 if form.errors else 200
    )


@require("ledger")
def charge_assign(request: HttpRequest, pk: int) -> HttpResponse:
    charge = get_object_or_404(Charge, pk=pk)
    form = AssignForm(request.POST or None, initial={"item": charge.item_id})
    if request.method == "POST" and form.is_valid():
        charge.item = form.cleaned_data["item"]
        try:
            services.charge_save(charge)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Assigned the charge to “{charge.item}”.")
            return redirect(_back(charge))
    context = {"form": form, "charge": charge, "back": _back(charge)}
    return render(request, "ledger/charge_assign.html", context, status=400 if form.errors else 200)


@require("ledger")
def charge_delete(request: HttpRequest, pk: int) -> HttpResponse:
    charge = get_object_or_404(Charge, pk=pk)
    if request.method == "POST":
        services.charge_delete(charge)
        messages.success(request, "Deleted the charge.")
        return redirect(_back(charge))
    context = {
        "title": f"Delete the charge of {figures.money(charge.amount, charge.currency)} on {charge.day:%-d %B %Y}?",
        "what": charge.description or "",
        "back_url": _back(charge),
    }
    return render(request, "ledger/confirm_delete.html", context)
