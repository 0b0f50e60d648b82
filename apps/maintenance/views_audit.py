"""The owner's audit, patch-drift and time-budget pages. Thin: forms judge, audit.py writes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.accounts.roles import require
from apps.core.http import MemberRequest
from apps.maintenance import audit, budget, drift, services
from apps.maintenance.forms_audit import AuditCompletionForm, AuditItemForm
from apps.maintenance.models import AuditItem, MaintenanceTask, TaskKind

# The whole audit form with its files: every file at its limit, and room for the text.
UPLOAD_LIMIT = services.FILES_PER_COMPLETION * services.FILE_LIMIT + 1024 * 1024


@require("maintenance_plan")
def audit_new(request: MemberRequest, task_id: int) -> HttpResponse:
    task = get_object_or_404(MaintenanceTask, pk=task_id, kind=TaskKind.AUDIT)
    length = str(request.META.get("CONTENT_LENGTH") or "0")
    if not length.isdigit() or int(length) > UPLOAD_LIMIT:  # refused before Django reads it
        return HttpResponse(
            f"That is too much to send at once: at most {services.FILES_PER_COMPLETION} files of "
            f"{services.FILE_LIMIT // 1024 // 1024} MB each. Go back and attach fewer or smaller files.",
            status=413,
            content_type="text/plain; charset=utf-8",
        )
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    item_forms = [AuditItemForm(data, spec=spec) for spec in audit.ITEMS]
    form = AuditCompletionForm(data, files)
    if data is not None and form.is_valid() & all([f.is_valid() for f in item_forms]):
        try:
            completion = audit.audit_complete(
                task,
                by=request.user,
                items=[f.values() for f in item_forms],
                minutes=form.cleaned_data["minutes"],
                notes=form.cleaned_data["notes"],
                completed=form.completed(),
                files=form.cleaned_data["evidence"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            failed = sum(f.instance.result == AuditItem.Result.FAIL for f in item_forms)
            if failed:
                what = "1 failed item stays" if failed == 1 else f"{failed} failed items stay"
                messages.warning(request, f"Audit saved. {what} on the home page until resolved.")
            else:
                messages.success(request, "Audit saved: nothing failed.")
            return redirect(f"{_history_url()}#audit-{completion.pk}")
    sections = [
        (label, [f for f in item_forms if f.spec.section == value])
        for value, label in AuditItem.Section.choices
        if value in audit.SECTION_ITEMS
    ]
    context = {
        "task": task,
        "form": form,
        "sections": sections,
        "bills_pointer": audit.bills_pointer(timezone.localdate()),
    }
    return render(request, "maintenance/audit/form.html", context)


def _history_url() -> str:
    return reverse("maintenance:audits")


@require("maintenance_plan")
def audit_history(request: MemberRequest) -> HttpResponse:
    context = {"audits": audit.history(), "tasks": audit.audit_tasks(), "limit": audit.HISTORY_LIMIT}
    return render(request, "maintenance/audit/history.html", context)


@require("maintenance_plan")
@require_POST
def audit_item_resolve(request: MemberRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(AuditItem, pk=item_id)
    try:
        audit.audit_item_resolve(item, by=request.user, note=request.POST.get("resolution", ""))
    except ValidationError as error:
        messages.error(request, f"{item.item}: {' '.join(error.messages)}")
    else:
        messages.success(request, f"Resolved: {item.item}.")
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(f"{_history_url()}#audit-{item.completion_id}")


@require("maintenance_plan")
def patches(request: MemberRequest) -> HttpResponse:
    context = {
        "drift": drift.versions(now=timezone.now()),
        "stale_days": drift.STALE_AFTER.days,
        "tasks": MaintenanceTask.objects.filter(kind=TaskKind.PATCH_REVIEW),
    }
    return render(request, "maintenance/patches.html", context)


@require("maintenance_plan")
def time_budget(request: MemberRequest) -> HttpResponse:
    now = timezone.localtime()
    try:
        year = int(request.GET.get("year", now.year))
    except ValueError:
        year = now.year
    if not 2000 <= year <= now.year:
        year = now.year
    figures = budget.year_budget(year, now=now)
    context = {"budget": figures, "chart": budget.chart(figures), "this_year": now.year}
    return render(request, "maintenance/budget.html", context)
