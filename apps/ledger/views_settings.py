"""The ledger's settings page (also a card on the portal's Settings page: panels.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from apps.accounts.roles import require
from apps.ledger import services
from apps.ledger.forms import SettingsForm, add_errors
from apps.ledger.models import LedgerSettings


@require("ledger")
def settings(request: HttpRequest) -> HttpResponse:
    form = SettingsForm(request.POST or None, instance=LedgerSettings.load())
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_save(form.instance)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Saved the ledger's settings.")
            return redirect("ledger:settings")
    return render(request, "ledger/settings.html", {"form": form}, status=400 if form.errors else 200)
