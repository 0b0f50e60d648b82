"""Owner pages (Settings → Handover and Settings → Contacts): prepare handovers, keep the
contacts, read the caretakers' access log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts import services as account_services
from apps.accounts.roles import require
from apps.accounts.views import show_errors
from apps.core.http import MemberRequest
from apps.handover import services
from apps.handover.forms import ContactForm, HandoverForm, IfThenFormSet
from apps.handover.models import AccessLog, Contact, Handover

LINK_KEY = "handover_invitation_link"


@require("settings")
def handovers(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [
        {"handover": h, "state": h.state(now), "caretakers": services.caretakers_of(h)} for h in Handover.objects.all()
    ]
    return render(
        request,
        "handover/manage/handovers.html",
        {"rows": rows, "new_link": request.session.pop(LINK_KEY, None), "contacts": Contact.objects.count()},
    )


def _share(request: HttpRequest, handover: Handover, token: str) -> None:
    """Keep the new caretaker's sign-in link for one display; email it when possible."""
    link = request.build_absolute_uri(reverse("accounts:accept", args=[token]))
    invitation = services.open_invitations(handover).order_by("-created_at").first()
    email = invitation.email if invitation else ""
    request.session[LINK_KEY] = {"url": link, "email": email, "emailed": False, "title": handover.title}
    if invitation is None:
        return
    try:
        request.session[LINK_KEY]["emailed"] = account_services.invitation_email(invitation, link)
    except OSError as exc:
        messages.error(request, f"The email could not be sent ({exc.__class__.__name__}); copy the link instead.")


@require("settings")
def handover_edit(request: MemberRequest, pk: int | None = None) -> HttpResponse:
    handover = get_object_or_404(Handover, pk=pk) if pk else None
    form = HandoverForm(request.POST or None, instance=handover)
    initial = [{"when": r.when, "do": r.do, "runbook": r.runbook} for r in handover.if_then.all()] if handover else []
    rows = IfThenFormSet(request.POST or None, initial=initial, prefix="if")
    if request.method == "POST" and form.is_valid() and rows.is_valid():
        if_then = [
            services.Row(when=row["when"], do=row["do"], runbook=row.get("runbook"))
            for row in rows.cleaned_data
            if row and not row.get("DELETE")
        ]
        try:
            saved, token = services.handover_prepare(
                form.instance,
                caretakers=list(form.cleaned_data["caretakers"]),
                runbooks=form.key_runbooks(),
                if_then=if_then,
                invite_name=form.cleaned_data["invite_name"],
                invite_email=form.cleaned_data["invite_email"],
                invited_by=request.user,
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            if token:
                _share(request, saved, token)
            messages.success(request, f"Saved “{saved.title}”.")
            return redirect("handover:settings")
    context: dict[str, Any] = {"form": form, "rows": rows, "object": handover}
    return render(request, "handover/manage/handover_form.html", context)


@require("settings")
@require_POST
def handover_delete(request: HttpRequest, pk: int) -> HttpResponse:
    handover = get_object_or_404(Handover, pk=pk)
    title = handover.title
    services.handover_delete(handover)
    messages.success(request, f"Deleted “{title}”.")
    return redirect("handover:settings")


@require("settings")
def contacts(request: HttpRequest) -> HttpResponse:
    return render(request, "handover/manage/contacts.html", {"contacts": Contact.objects.all()})


@require("settings")
def contact_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk) if pk else None
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        saved = services.contact_save(form.instance)
        messages.success(request, f"Saved {saved.name}.")
        return redirect("handover:contacts")
    return render(request, "handover/manage/contact_form.html", {"form": form, "object": contact})


@require("settings")
@require_POST
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    name = contact.name
    services.contact_delete(contact)
    messages.success(request, f"Deleted {name}.")
    return redirect("handover:contacts")


@require("settings")
def access_log(request: HttpRequest) -> HttpResponse:
    rows = AccessLog.objects.select_related("user")
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(request, "handover/manage/access_log.html", {"page": page, "days": services.ACCESS_LOG_DAYS})
