from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect

from apps.accounts.access import window_message


class AccessWindowMiddleware:
    """Ends an open session once the member's access window has closed.

    The member row is read on each request (one indexed query) rather than cached in the
    session, so an owner who shortens a caretaker's access takes effect at once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            message = window_message(request.user)
            if message:
                logout(request)
                messages.warning(request, message)
                response = redirect("account_login")
                if getattr(request, "htmx", False) or request.headers.get("HX-Request"):
                    response["HX-Redirect"] = response["Location"]
                return response
        return self.get_response(request)


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's middleware; htmx requests get HX-Redirect so the whole page goes to sign-in."""

    def handle_no_permission(self, request: HttpRequest, view_func: Callable) -> HttpResponseRedirect:
        response = super().handle_no_permission(request, view_func)
        if request.headers.get("HX-Request"):
            response["HX-Redirect"] = response["Location"]
        return response
