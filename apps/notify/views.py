"""Owner pages: the alert channels, their last delivery, add/edit, send a test."""

from __future__ import annotations

import os

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.roles import require
from apps.notify import services
from apps.notify.forms import ChannelForm
from apps.notify.models import Channel


@require("settings")
def channels(request: HttpRequest) -> HttpResponse:
    rows = list(Channel.objects.all())
    last = services.last_deliveries(rows)
    # Only whether the variable is set, never its value.
    unset = {c.pk for c in rows if c.url_env and not os.environ.get(c.url_env, "").strip()}
    context = {
        "rows": [(c, last.get(c.pk), c.pk in unset) for c in rows],
        "email_configured": settings.EMAIL_CONFIGURED,
    }
    return render(request, "notify/channels.html", context)


@require("settings")
def channel_add(request: HttpRequest) -> HttpResponse:
    return _form(request, Channel())


@require("settings")
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form(request, get_object_or_404(Channel, pk=pk))


@require("settings")
@require_POST
def channel_test(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=pk)
    ok, text = services.channel_test(channel=channel)
    (messages.success if ok else messages.error)(request, f"{channel.name}: {text}")
    return redirect("notify:channels")


@require("settings")
@require_POST
def channel_delete(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=pk)
    services.channel_delete(channel)
    messages.success(request, f"Removed {channel.name}; its delivery log went with it.")
    return redirect("notify:channels")


def _form(request: HttpRequest, channel: Channel) -> HttpResponse:
    form = ChannelForm(request.POST or None, instance=channel)
    if request.method == "POST" and form.is_valid():
        channel = services.channel_save(form.instance)
        messages.success(request, f"Saved {channel.name}. Send a test to see that it arrives.")
        return redirect("notify:channels")
    return render(request, "notify/channel_form.html", {"form": form, "channel": channel})
