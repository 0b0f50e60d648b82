"""Every member's pages: their own API keys, and usage (the owner sees everyone's)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from apps.accounts.roles import require
from apps.core.http import MemberRequest
from apps.gateway import selectors, services
from apps.gateway.forms import ApiKeyForm, UsageFilterForm
from apps.gateway.models import ApiKey, Workload


@require("api_keys")
@never_cache  # the response that shows a new key must not be kept by the browser or a proxy
def keys_page(request: MemberRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        # Shown on this response only: the key is not stored, put in the session or in a message.
        row, new_key = services.api_key_create(member=request.user, name=form.cleaned_data["name"])
        form = ApiKeyForm()
    allowance = selectors.allowance(request.user)
    chat = [route.alias for route in allowance.aliases if route.workload == Workload.CHAT]
    context = {
        "form": form,
        "new_key": new_key,
        "rows": ApiKey.objects.filter(member=request.user),
        "allowance": allowance,
        "api_root": request.build_absolute_uri("/v1"),
        "example_model": chat[0] if chat else "assistant",
    }
    return render(request, "gateway/keys.html", context)


@require("api_keys")
@require_POST
def key_revoke(request: MemberRequest, pk: int) -> HttpResponse:
    # Only one's own keys: anyone else's is "not found", not "forbidden".
    row = get_object_or_404(ApiKey, pk=pk, member=request.user)
    services.api_key_revoke(row)
    messages.success(request, f"Revoked “{row.name}” ({row.prefix}…). Programs that use it are refused from now on.")
    return redirect("gateway:keys")


@require("usage")
@vary_on_headers("HX-Request")
def usage(request: MemberRequest) -> HttpResponse:
    today = timezone.localdate()
    everyone = selectors.sees_everyone(request.user)
    default_start = today - timedelta(days=UsageFilterForm.DEFAULT_DAYS - 1)
    form = UsageFilterForm(
        request.GET or None, today=today, everyone=everyone, initial={"start": default_start, "end": today}
    )
    start, end = form.period()
    member = form.cleaned_data.get("member") if everyone and form.is_valid() else None
    member_id = (member.pk if member else None) if everyone else request.user.pk
    context = {
        "form": form,
        "usage": selectors.usage(start=start, end=end, member_id=member_id, today=today),
        "owner": everyone,
        "everyone": everyone and member is None,  # a member column and a "by member" table
        "member": member,
        "allowance": selectors.allowance(request.user),
        "today": today,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "gateway/partials/usage.html", context)
    return render(request, "gateway/usage.html", context)
