"""The handover page (/handover/), the owner's preview of it, and the caretaker's notes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.roles import Role, can, require, role_can, role_of
from apps.core import dashboard
from apps.core.http import MemberRequest
from apps.handover import services
from apps.handover.forms import NoteForm
from apps.handover.models import Contact, Handover
from apps.runbooks import pointers
from apps.runbooks.models import Audience, Runbook

EMPTY = "No handover is active: the owner is at home."


def runbook_href(runbook: Runbook) -> str:
    return reverse("runbooks:detail", args=[runbook.slug])


def headline_as(request: HttpRequest, role: Role | str | None) -> str:
    """The home page's one line (apps/core/dashboard.py's headlines), as `role` reads it."""
    clauses = (h.sentence(request) for h in dashboard.headlines() if role_can(role, h.capability))
    return " ".join(clause for clause in clauses if clause)


def page_context(request: HttpRequest, handover: Handover, role: Role | str | None) -> dict[str, Any]:
    """Everything the handover page shows, as a member with `role` sees it (the preview
    passes the caretaker's role, so the owner sees exactly what the friend will)."""
    readable = set(Audience.readable_by(role))
    readable_keys = [hr for hr in handover.key_runbooks.select_related("runbook") if hr.runbook.audience in readable]
    key_runbooks = [{"runbook": hr.runbook, "href": runbook_href(hr.runbook)} for hr in readable_keys]
    rows = [
        {
            "when": row.when,
            "do": row.do,
            "runbook": row.runbook if row.runbook and row.runbook.audience in readable else None,
            "href": runbook_href(row.runbook) if row.runbook else "",
        }
        for row in handover.if_then.select_related("runbook")
    ]
    runs = [
        {"run": run, "href": runbook_href(run.runbook) if run.runbook.audience in readable else ""}
        for run in services.runs_during(handover)
    ]
    return {
        "handover": handover,
        "state": handover.state(),
        "caretakers": services.caretakers_of(handover),
        "headline": headline_as(request, role),
        "contacts": Contact.objects.all(),
        "key_runbooks": key_runbooks,
        # Where the passwords of the key runbooks' machines and services are kept, never them.
        "pointers": list(
            {(p.what, p.where): p for hr in readable_keys for p in pointers.of_runbook(hr.runbook)}.values()
        ),
        "if_then": rows,
        "runs": runs,
        "notes": handover.notes.select_related("author"),
    }


@require("handover")
def index(request: HttpRequest) -> HttpResponse:
    handover = services.active()
    if handover is None:
        upcoming = Handover.objects.upcoming().first() if can(request.user, "settings") else None
        return render(request, "handover/index.html", {"empty": EMPTY, "upcoming": upcoming})
    context = page_context(request, handover, role_of(request.user))
    if can(request.user, "handover_note"):
        context["note_form"] = NoteForm()
    return render(request, "handover/index.html", context)


@require("settings")
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The page as the caretaker will see it, before (or during) the stay."""
    handover = get_object_or_404(Handover, pk=pk)
    context = page_context(request, handover, Role.CARETAKER)
    context["preview"] = True
    return render(request, "handover/index.html", context)


@require("handover_note")
@require_POST
def note_add(request: MemberRequest, pk: int) -> HttpResponse:
    handover = get_object_or_404(Handover, pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_add(handover=handover, author=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Your note is in the log.")
        return redirect(f"{reverse('handover:index')}#log")
    if handover.state(timezone.now()) != "active":
        messages.error(request, "This handover is not on now: notes can be added during the stay only.")
        return redirect("handover:index")
    context = page_context(request, handover, role_of(request.user))
    context["note_form"] = form
    return render(request, "handover/index.html", context, status=400)
