"""The bill review and "mark reviewed". Thin: the forms judge, reviews.py writes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.roles import require
from apps.core.http import MemberRequest
from apps.ledger import figures, reviews
from apps.ledger.forms_reviews import ItemDecisionForm, ReviewNotesForm
from apps.ledger.models import LedgerSettings

# What the ledger's own rules call a field, and the review form's field that shows it.
FIELD_FOR = {"end": "end", "amount": "amount", "since": "since"}


# Reviews a page: every decision of forty reviews (1,300) was most of the page's time.
PAGE_SIZE = 10


@require("ledger")
def review_list(request: MemberRequest) -> HttpResponse:
    # get_page: a page number that is not one shows the first page, one past the end the last.
    page = Paginator(reviews.history(limit=None), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"reviews": page.object_list, "page": page, "currency": LedgerSettings.load().currency}
    return render(request, "ledger/reviews.html", context)


def _show_errors(form: ItemDecisionForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for message in errors:
                form.add_error(FIELD_FOR.get(field), message)
    else:
        form.add_error(None, error)


@require("ledger")
def review_new(request: MemberRequest) -> HttpResponse:
    today = timezone.localdate()
    month = figures.run_rate(today=today)
    data = request.POST if request.method == "POST" else None
    item_forms = [ItemDecisionForm(data, item=item, month=month, today=today) for item in reviews.due_items(today)]
    notes = ReviewNotesForm(data)
    if data is not None and notes.is_valid() & all([form.is_valid() for form in item_forms]):
        try:
            review = reviews.bill_review_save(
                by=request.user,
                decisions=[form.chosen() for form in item_forms],
                notes=notes.cleaned_data["notes"],
                today=today,
            )
        except reviews.DecisionErrors as errors:
            for form in item_forms:
                if form.item.pk in errors.by_item:
                    _show_errors(form, errors.by_item[form.item.pk])
        else:
            messages.success(
                request, f"Bill review saved. The new baseline is {figures.money(review.baseline)} a month."
            )
            return redirect(f"{reverse('ledger:reviews')}#review-{review.pk}")
    context = {
        "item_forms": item_forms,
        "notes_form": notes,
        "run_rate": month.total,
        "currency": LedgerSettings.load().currency,
        "failed": sum(bool(form.errors) for form in item_forms) + bool(notes.errors),
    }
    return render(request, "ledger/review_form.html", context)


@require("ledger")
@require_POST
def creep_reviewed(request: MemberRequest) -> HttpResponse:
    review = reviews.creep_acknowledge(by=request.user)
    if review is None:
        messages.info(request, "Nothing was waiting for review: the alerts were closed already.")
    else:
        messages.success(request, f"Marked reviewed. The new baseline is {figures.money(review.baseline)} a month.")
    return redirect("ledger:index")
