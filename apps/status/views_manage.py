"""Owner pages to add and edit hosts, services and heartbeats (Settings -> Checks). They write
through services.py, as the configuration file does."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.roles import require
from apps.status import engine, services
from apps.status.forms import HeartbeatForm, HostForm, ServiceForm
from apps.status.models import Host, Kind, Service


@require("status_manage")
def checks_index(request: HttpRequest) -> HttpResponse:
    services = Service.objects.select_related("host").order_by("kind", "name")
    context = {
        "hosts": Host.objects.all(),
        "services": [s for s in services if not s.is_heartbeat],
        "heartbeats": [s for s in services if s.is_heartbeat],
    }
    return render(request, "status/manage/index.html", context)


@require("status_manage")
def host_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    host = get_object_or_404(Host, pk=pk) if pk else None
    form = HostForm(request.POST or None, instance=host)
    if request.method == "POST" and form.is_valid():
        host = services.host_save(form.instance)
        messages.success(request, f"Saved the host {host.name}.")
        return redirect("status:checks")
    return render(request, "status/manage/form.html", {"form": form, "what": "host", "object": host})


@require("status_manage")
def service_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    service = get_object_or_404(Service, pk=pk, kind__in=engine.polled_kinds()) if pk else None
    form = ServiceForm(request.POST or None, instance=service)
    outcome = None
    if request.method == "POST" and form.is_valid():
        if "test" in request.POST:
            # Try the settings as typed, without saving them.
            outcome = engine.check_now(form.instance, save=False)
        else:
            try:
                service = services.service_save(form.instance, depends_on=form.cleaned_data["depends_on"])
            except ValidationError as exc:  # a loop through other services' dependencies
                form.add_error(None, exc)
            else:
                messages.success(request, f"Saved {service.label}; it is checked within {service.interval} s.")
                return redirect("status:service", name=service.name)
    context = {"form": form, "what": "service", "object": service, "outcome": outcome}
    return render(request, "status/manage/form.html", context)


@require("status_manage")
def heartbeat_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    heartbeat = get_object_or_404(Service, pk=pk, kind=Kind.HEARTBEAT) if pk else None
    form = HeartbeatForm(request.POST or None, instance=heartbeat)
    if request.method == "POST" and form.is_valid():
        heartbeat = services.heartbeat_save(form.instance)
        messages.success(request, f"Saved {heartbeat.label}. Its ping address is on this page.")
        return redirect("status:service", name=heartbeat.name)
    return render(request, "status/manage/form.html", {"form": form, "what": "heartbeat", "object": heartbeat})


@require("status_manage")
@require_POST
def delete(request: HttpRequest, what: str, pk: int) -> HttpResponse:
    if what not in {"host", "service", "heartbeat"}:
        raise Http404
    if what == "host":
        host = get_object_or_404(Host, pk=pk)
        services.host_delete(host)
        name = str(host)
    else:
        # The address says which kind it deletes: a heartbeat's address never deletes a service.
        kind = Q(kind=Kind.HEARTBEAT) if what == "heartbeat" else ~Q(kind=Kind.HEARTBEAT)
        service = get_object_or_404(Service.objects.filter(kind), pk=pk)
        services.service_delete(service)
        name = str(service)
    messages.success(request, f"Deleted {name} and its history.")
    return redirect("status:checks")
