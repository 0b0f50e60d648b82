from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.accounts.roles import require
from apps.core import config, finder
from apps.core.dashboard import rows_for
from apps.core.health import health
from apps.core.navigation import settings_pages_for

MAX_IMPORT_BYTES = 1_000_000


@require("home")
def dashboard(request: HttpRequest) -> HttpResponse:
    """The single point of contact: the panels each app registers (apps/core/dashboard.py):
    today the status sentence, the chat box, handover and maintenance due."""
    return render(request, "core/dashboard.html", {"panel_rows": rows_for(request)})


@require("home")
def search(request: HttpRequest) -> HttpResponse:
    """The navigation's search box: what each app's search source finds for this member."""
    query = request.GET.get("q", "").strip()[: finder.QUERY_LIMIT]
    found = finder.search(request, query)
    context = {"query": query, "found": found, "per_source": finder.PER_SOURCE}
    return render(request, "core/search.html", context)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report, healthy = health()
    report["time"] = timezone.now().isoformat(timespec="seconds")
    return JsonResponse(report, status=200 if healthy else 503)


@require("settings")
def settings_index(request: HttpRequest) -> HttpResponse:
    return render(request, "core/settings.html", {"settings_pages": settings_pages_for(request.user)})


@require("settings")
def config_page(request: HttpRequest) -> HttpResponse:
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        text = request.POST.get("text", "")
        if upload is not None:
            if (upload.size or 0) > MAX_IMPORT_BYTES:
                messages.error(request, "That file is larger than 1 MB; a HomeOps config is much smaller.")
                return redirect("core:config")
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                messages.error(request, "That file is not UTF-8 text. Export a config to see the expected format.")
                return redirect("core:config")
        if not text.strip():
            messages.error(request, "Choose a YAML file or paste its text first.")
            return redirect("core:config")
        result = config.import_text(text, dry_run=bool(request.POST.get("dry_run")))
        if result.ok and not result.dry_run:
            messages.success(request, result.summary())
            return redirect("core:config")
    return render(
        request,
        "core/config.html",
        {"result": result, "sections": config.sections(), "text": request.POST.get("text", "")},
    )


@require("settings")
@require_GET
def config_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(config.export_text(), content_type="application/yaml; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="homeops-config-{stamp}.yaml"'
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request the portal would not read (handler400): most often a paste far larger than any
    form takes, refused before a view sees it. Says so in words, as JSON to the chat's script."""
    if isinstance(exception, RequestDataTooBig):
        limit = f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1_000_000:.1f}"
        problem = (
            f"That was more than the portal takes at once ({limit} MB). "
            "If you pasted a long text, shorten it and send it again."
        )
    else:
        problem = "The portal could not read what this page sent. Reload the page and try again."
    if request.headers.get("X-Requested-With") == "fetch":
        return JsonResponse({"error": problem}, status=400)
    return render(request, "400.html", {"problem": problem}, status=400)
