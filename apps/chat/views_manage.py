"""Owner pages (Settings -> Chat presets): ready-made instructions for a role or a member."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.roles import require
from apps.chat import services
from apps.chat.forms import PresetForm
from apps.chat.models import Preset


def _audience(preset: Preset) -> str:
    return preset.member.get_username() if preset.member is not None else f"everyone with the {preset.role} role"


@require("settings")
def presets(request: HttpRequest) -> HttpResponse:
    return render(request, "chat/manage/presets.html", {"groups": services.preset_groups()})


@require("settings")
def preset_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    preset = get_object_or_404(Preset, pk=pk) if pk else None
    form = PresetForm(request.POST or None, instance=preset)
    if request.method == "POST" and form.is_valid():
        preset = services.preset_save(form.instance)
        text = f"Saved “{preset.name}”."
        if preset.locked:
            text += f" It is locked: {_audience(preset)} always gets it and cannot change it."
        messages.success(request, text)
        return redirect("chat:presets")
    context: dict[str, Any] = {"form": form, "object": preset}
    if preset:
        context["uses"] = services.preset_uses([preset]).get(preset.pk, 0)
        context["audience"] = _audience(preset)
    return render(request, "chat/manage/preset_form.html", context)


@require("settings")
@require_POST
def preset_delete(request: HttpRequest, pk: int) -> HttpResponse:
    preset = get_object_or_404(Preset, pk=pk)
    name = preset.name
    services.preset_delete(preset)
    messages.success(request, f"Deleted “{name}”.")
    return redirect("chat:presets")
