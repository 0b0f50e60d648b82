"""Owner pages for members and invitations, and the public invitation page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts import services
from apps.accounts.access import window_message
from apps.accounts.forms import AcceptForm, InviteForm, MemberForm
from apps.accounts.models import Invitation, Member
from apps.accounts.roles import Role, require, role_of
from apps.core.http import MemberRequest

User = get_user_model()


@require("settings")
def members(request: HttpRequest) -> HttpResponse:
    people = User.objects.select_related("member").prefetch_related("groups").order_by("username")
    rows = [{"user": u, "role": role_of(u), "member": getattr(u, "member", None)} for u in people]
    pending = Invitation.objects.filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())
    return render(
        request,
        "accounts/members.html",
        {
            "rows": rows,
            "pending": pending.select_related("user"),
            "new_link": request.session.pop("invitation_link", None),
            "now": timezone.now(),
        },
    )


def show_errors(form: BaseForm, exc: ValidationError) -> None:
    """A service's refusal on the form: each problem on its field where the form has it."""
    problems: list[tuple[str | None, list[ValidationError]]] = (
        list(exc.error_dict.items()) if hasattr(exc, "error_dict") else [(None, exc.error_list)]
    )
    for field, errors in problems:
        form.add_error(field if field in form.fields else None, errors)


def _share(request: HttpRequest, invitation: Invitation, token: str) -> None:
    """Email the link when possible; always keep it for one display on the members page."""
    link = request.build_absolute_uri(reverse("accounts:accept", args=[token]))
    request.session["invitation_link"] = {"url": link, "email": invitation.email, "emailed": False}
    try:
        request.session["invitation_link"]["emailed"] = services.invitation_email(invitation, link)
    except OSError as exc:
        messages.error(request, f"The email could not be sent ({exc.__class__.__name__}); copy the link instead.")


@require("settings")
def invite(request: MemberRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invitation, token = services.invitation_create(created_by=request.user, **form.cleaned_data)
        _share(request, invitation, token)
        return redirect("accounts:members")
    context = {"form": form, "email_configured": settings.EMAIL_CONFIGURED, "days": settings.INVITATION_DAYS}
    return render(request, "accounts/invite.html", context)


@require("settings")
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User.objects.select_related("member"), pk=pk)
    member = Member.objects.filter(user=user).first() or Member(user=user)
    person = {"first_name": user.first_name, "email": user.email, "is_active": user.is_active}
    initial = {**person, "role": role_of(user) or Role.FAMILY}
    form = MemberForm(request.POST or None, instance=member, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_save(user=user, username=user.username, **form.cleaned_data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, f"Saved {user.username}.")
            return redirect("accounts:members")
    return render(request, "accounts/member_edit.html", {"form": form, "person": user})


@require("settings")
@require_POST
def member_link(request: MemberRequest, pk: int) -> HttpResponse:
    """A one-time link with which an existing member sets a new password."""
    user = get_object_or_404(User, pk=pk)
    invitation, token = services.invitation_create(
        role=role_of(user) or Role.FAMILY, created_by=request.user, email=user.email, user=user
    )
    _share(request, invitation, token)
    return redirect("accounts:members")


@require("settings")
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    services.invitation_revoke(invitation=get_object_or_404(Invitation, pk=pk))
    messages.success(request, "The link no longer works.")
    return redirect("accounts:members")


@login_not_required
def accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_find(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = AcceptForm(request.POST or None, existing_user=invitation.user, initial={"first_name": invitation.name})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data.get("first_name", ""),
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            closed = window_message(user)
            if closed:  # the account exists; sign-in waits for the window
                return render(request, "account/access_closed.html", {"message": closed}, status=403)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.first_name or user.username}. You are signed in.")
            return redirect("core:dashboard")
    return render(request, "accounts/accept.html", {"form": form, "invitation": invitation})
