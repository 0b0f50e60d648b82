"""Owner pages (Settings -> Model gateway): backends, routes, policies, content logging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from apps.accounts.roles import require
from apps.core.http import MemberRequest
from apps.gateway import selectors, services
from apps.gateway.forms import BackendForm, PolicyForm, RouteForm, TargetFormSet
from apps.gateway.models import Backend, GatewaySettings, Policy, Route


@require("settings")
def index(request: HttpRequest) -> HttpResponse:
    backend_rows = selectors.backends()
    context = {
        "backends": backend_rows,
        "routes": selectors.routes(backend_rows),
        "policies": selectors.policies(),
        "default_policy": selectors.default_policy_text(),
        "log_content": GatewaySettings.load().log_content,
        "changes": selectors.settings_changes(),
        "audit_days": settings.GATEWAY_AUDIT_DAYS,
    }
    return render(request, "gateway/manage/index.html", context)


@require("settings")
@sensitive_post_parameters("api_key")
def backend_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    backend = get_object_or_404(Backend, pk=pk) if pk else None
    form = BackendForm(request.POST or None, instance=backend)
    outcome = None
    if request.method == "POST" and form.is_valid():
        if "test" in request.POST:
            # Try the settings as typed, without saving them (like status's "Test this check").
            unsaved = form.instance  # as typed, with the typed key encrypted; not saved
            names, problem = services.discover_models(unsaved)
            unsaved.model_names, unsaved.models_refreshed_at = names, timezone.now()
            outcome = {
                "names": names,
                "problem": problem,
                # Only a saved backend has routes that ask it for models.
                "missing": services.missing_models(unsaved) if backend and not problem else [],
                "typed_key": bool(form.cleaned_data.get("api_key")),
            }
        else:
            backend = services.backend_save(form.instance)
            messages.success(
                request,
                f"Saved {backend.name}. “Test connection” asks it for its models now; HomeOps also does "
                "every 5 minutes.",
            )
            return redirect("gateway:settings")
    context: dict[str, Any] = {"form": form, "object": backend, "what": "backend", "outcome": outcome}
    if backend:
        context["used_by"] = sorted({t.route.alias for t in backend.targets.select_related("route")})
    return render(request, "gateway/manage/backend_form.html", context)


@require("settings")
@require_POST
def backend_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask a saved backend for its models now, and keep the answer (as the background refresh does)."""
    backend = get_object_or_404(Backend, pk=pk)
    problem = services.backend_refresh_models(backend)
    if problem:
        messages.error(request, f"{backend.name} {problem}.")  # "studio refused the connection (...)."
    else:
        names = backend.model_names
        listed = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        text = f"{backend.name} answered: {len(names)} model{'s' if len(names) != 1 else ''}"
        text += f" ({listed})." if names else ". It offers no models yet."
        if missing := services.missing_models(backend):
            text += f" Routes ask it for models it does not have: {', '.join(missing)}."
            text += " Pull them there, or change those routes."
            messages.warning(request, text)
        else:
            messages.success(request, text)
    return redirect("gateway:settings")


@require("settings")
def route_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    route = get_object_or_404(Route, pk=pk) if pk else None
    backends = {backend.pk: backend for backend in Backend.objects.all()}
    form = RouteForm(request.POST or None, instance=route)
    targets = TargetFormSet(
        request.POST or None, instance=route or Route(), prefix="targets", form_kwargs={"backends": backends}
    )
    if request.method == "POST" and form.is_valid() and targets.is_valid():
        with transaction.atomic():  # one announcement, after both
            route = services.route_save(form.instance)
            kept = services.route_set_targets(route, targets.in_order())
        # A model not pulled yet is saved (it may be pulled tomorrow), and said.
        notes = [
            f"{target.model} {backend.not_offered_words}"
            for target in kept
            if (backend := backends[target.backend_id]).model_names and not backend.offers(target.model)
        ]
        if notes:
            messages.warning(request, f"Saved the route {route.alias}. " + " ".join(dict.fromkeys(notes)))
        else:
            messages.success(request, f"Saved the route {route.alias}.")
        return redirect("gateway:settings")
    context = {
        "form": form,
        "targets": targets,
        "object": route,
        "what": "route",
        "backends": list(backends.values()),
        "known_models": selectors.known_models(list(backends.values())),
    }
    return render(request, "gateway/manage/route_form.html", context)


@require("settings")
def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    policy = get_object_or_404(Policy, pk=pk) if pk else None
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        policy = services.policy_save(form.instance)
        messages.success(request, f"Saved the {policy}.")
        return redirect("gateway:settings")
    return render(request, "gateway/manage/policy_form.html", {"form": form, "object": policy, "what": "policy"})


# Each delete function takes a row of the model beside it.
DELETABLE: dict[str, tuple[type[models.Model], Callable[[Any], None]]] = {
    "backend": (Backend, services.backend_delete),
    "route": (Route, services.route_delete),
    "policy": (Policy, services.policy_delete),
}


@require("settings")
@require_POST
def delete(request: HttpRequest, what: str, pk: int) -> HttpResponse:
    if what not in DELETABLE:
        raise Http404
    model, delete_it = DELETABLE[what]
    obj = get_object_or_404(model, pk=pk)
    name = str(obj)
    delete_it(obj)
    messages.success(request, f"Deleted {name}.")
    return redirect("gateway:settings")


@require("settings")
@require_POST
def content_logging(request: MemberRequest) -> HttpResponse:
    on = request.POST.get("log_content") == "on"
    services.gateway_settings_log_content(on=on, by=request.user)
    if on:
        messages.warning(request, "Content logging is on: prompts and answers are kept in the audit log from now on.")
    else:
        messages.success(request, "Content logging is off: only who, when, which model and how many tokens are kept.")
    return redirect("gateway:settings")
