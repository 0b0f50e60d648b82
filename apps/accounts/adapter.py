from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.accounts.access import window_message


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # No open sign-up: the owner invites members (apps/accounts/views.py: invite, accept).
        return False

    def pre_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        message = window_message(user)
        if message:
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            return render(request, "account/access_closed.html", {"message": message}, status=403)
        return super().pre_login(request, user, **kwargs)
