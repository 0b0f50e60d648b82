"""The annual review page: one year, gathered by annual.review; the notes saved through
annual.notes_save."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import require
from apps.ledger import annual
from apps.ledger.forms_annual import AnnualNotesForm


@require("ledger")
def review(request: HttpRequest, year: int | None = None) -> HttpResponse:
    today = timezone.localdate()
    if year is None:
        year = annual.default_year(today)
    elif not annual.year_allowed(year, today):
        raise Http404("No annual review for that year.")
    page = annual.review(year)
    form = None
    if not page.not_begun:
        latest = page.notes.latest
        initial = {"notes": latest.text} if latest else {}
        form = AnnualNotesForm(request.POST or None, tasks=page.notes.tasks, initial=initial)
        if request.method == "POST" and form.is_valid():
            tasks = page.notes.tasks
            task = form.cleaned_data.get("task") or (tasks[0] if tasks else None)
            try:
                annual.notes_save(
                    year=year,
                    text=form.cleaned_data["notes"],
                    by=request.user,  # type: ignore[arg-type]
                    task=task,
                    minutes=form.minutes,
                    earlier=latest.completion if latest else None,
                )
            except ValidationError as error:  # the completion's own rules (Completion.full_clean)
                form.add_error(None, error.messages)
            else:
                messages.success(request, f"Saved the notes of the {year} review.")
                return redirect(reverse("ledger:annual_year", args=[year]) + "#notes")
    elif request.method == "POST":
        return redirect("ledger:annual_year", year)
    return render(
        request,
        "ledger/annual.html",
        {
            "page": page,
            "form": form,
            "workloads": page.workloads,
            "workload_tables": [
                ("By model alias", page.workloads.by_alias, "alias"),
                ("By member", page.workloads.by_member, "member"),
            ],
            "costs": page.costs,
            "notes": page.notes,
        },
    )
