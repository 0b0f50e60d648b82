"""The caretakers' access log, and their home page during a stay.

`CaretakerMiddleware` (after accounts' AccessWindowMiddleware, which has already signed out a
caretaker whose window closed) records each page a caretaker opens (not its htmx refreshes), and sends a caretaker who
opens the home page during an active handover to the handover: their home page is the
handover. `record_sign_in` (connected in apps.py to Django's user_logged_in) records sign-ins.
Static files never reach Django's middleware (WhiteNoise answers first).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from apps.accounts.roles import Role, role_of
from apps.handover import services
from apps.handover.models import AccessLog


class CaretakerMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if role_of(request.user) != Role.CARETAKER:
            return self.get_response(request)
        if request.path == reverse("core:dashboard") and request.method == "GET" and services.active() is not None:
            response: HttpResponse = redirect("handover:index")
        else:
            response = self.get_response(request)
        # A page, not each of its htmx refreshes (the status board asks every 5 seconds); and
        # not after signing out on this request.
        if request.user.is_authenticated and not request.headers.get("HX-Request"):
            services.access_record(
                user=request.user,
                kind=AccessLog.Kind.PAGE,
                method=request.method or "",
                path=request.get_full_path(),
                status=response.status_code,
            )
        return response


def record_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if role_of(user) == Role.CARETAKER:
        services.access_record(user=user, kind=AccessLog.Kind.SIGN_IN, path=request.path if request else "")
