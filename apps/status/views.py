from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from apps.accounts.roles import require
from apps.core.http import MemberRequest
from apps.runbooks import selectors as runbooks
from apps.status import engine, history, selectors, services
from apps.status import metrics as status_metrics
from apps.status.models import Service, State


@require("status")
@vary_on_headers("HX-Request")
def index(request: MemberRequest) -> HttpResponse:
    board = selectors.board()
    _what_to_do(request, board)
    context = {"board": board, "sentence": selectors.sentence(), "now": timezone.now()}
    if request.htmx and not request.htmx.boosted:
        return render(request, "status/partials/board.html", context)
    return render(request, "status/index.html", context)


def _what_to_do(request: MemberRequest, board: selectors.Board) -> None:
    """A Down or Unreachable row links to its runbooks (those the member may read)."""
    failing = [row for _, rows in board.groups for row in rows if row.service.state in (State.DOWN, State.UNREACHABLE)]
    found = runbooks.for_services(request.user, [row.service.pk for row in failing]) if failing else {}
    for row in failing:
        row.runbooks = found.get(row.service.pk, [])


@require("status")
def service_detail(request: MemberRequest, name: str) -> HttpResponse:
    service = get_object_or_404(Service.objects.select_related("host"), name=name)
    now = timezone.now()
    context = {
        "service": service,
        "runbooks": runbooks.for_services(request.user, [service.pk]).get(service.pk, []),
        "flips": service.flips.select_related("cause")[:20],
        "results": history.last_checks(service.pk, limit=20),
        "chart": selectors.sparkline_svg_path(
            selectors.sparkline_points(service.pk, now=now, hours=48, buckets=96), width=600, height=80
        ),
        "ping_url": request.build_absolute_uri(f"/ping/{service.ping_uuid}") if service.ping_uuid else "",
        "badge": selectors.BADGE[service.state],
    }
    return render(request, "status/service.html", context)


@require("status_manage")
@require_POST
def pause(request: HttpRequest, name: str) -> HttpResponse:
    service = get_object_or_404(Service, name=name)
    paused = request.POST.get("paused", "1") == "1"
    services.service_pause(service=service, paused=paused)
    messages.success(request, f"{service.label} is {'paused' if paused else 'checked again'}.")
    return redirect("status:service", name=name)


@require("status_manage")
@require_POST
def mute(request: HttpRequest, name: str) -> HttpResponse:
    service = get_object_or_404(Service, name=name)
    raw = request.POST.get("until", "")
    until: datetime | None = None
    if raw:
        hours = {"1h": 1, "4h": 4, "24h": 24}.get(raw)
        until = timezone.now() + timedelta(hours=hours) if hours else parse_datetime(raw)
        if until is None:
            messages.error(request, "Choose how long to mute it for.")
            return redirect("status:service", name=name)
        if timezone.is_naive(until):
            until = timezone.make_aware(until)
    services.service_mute(service=service, until=until)
    messages.success(request, f"{service.label}: alerts {'muted' if until else 'back on'}.")
    return redirect("status:service", name=name)


@require("status_manage")
@require_POST
def check_now(request: HttpRequest, name: str) -> HttpResponse:
    service = get_object_or_404(Service, name=name)
    if service.is_heartbeat:
        messages.error(request, "A heartbeat is not checked: it waits for pings from its job.")
    elif not service.enabled:
        messages.error(request, f"{service.label} is paused. Resume it first, then check it.")
    else:
        outcome = engine.check_now(service)
        messages.info(request, f"{service.label}: {outcome.state.label.lower()}, {outcome.message}.")
    return redirect("status:service", name=name)


@login_not_required
@csrf_exempt
def ping(request: HttpRequest, ping_uuid: str, signal: str = "success") -> HttpResponse:
    """Backup jobs call /ping/<uuid> (any method); /start, /fail or /<exit status> say more.
    Under uvicorn, homeops/asgi.py answers these before Django's middleware; this view serves
    the same function to WSGI deployments and the test client."""
    body = request.read(services.PING_BODY_LIMIT)
    status, text = services.ping_answer(ping_uuid=ping_uuid, signal=signal, body=body)
    return HttpResponse(text, status=status, content_type="text/plain")


@login_not_required
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text for Grafana; needs `Authorization: Bearer $HOMEOPS_METRICS_TOKEN`."""
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse("Metrics are off: set HOMEOPS_METRICS_TOKEN.\n", status=404, content_type="text/plain")
    # Strict: the scheme must be there (its name in any case, RFC 9110); a bare token is refused.
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not constant_time_compare(given.strip(), token):
        response = HttpResponse("A valid bearer token is needed.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="homeops"'
        return response
    return HttpResponse(status_metrics.render(), content_type="text/plain; version=0.0.4; charset=utf-8")
