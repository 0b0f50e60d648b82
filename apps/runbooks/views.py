"""Runbook pages: the list, a runbook, the owner's editor (with its live preview), the history
with its diffs, restore, "Mark reviewed" and delete. Reading goes through selectors (the
member's audience); writing through services; only the owner edits (runbooks_edit)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from apps.accounts.roles import can, require
from apps.core.http import MemberRequest
from apps.runbooks import attachments, diffs, rendering, runs, selectors, services, starters
from apps.runbooks.forms import RunbookForm
from apps.runbooks.models import BODY_LIMIT, Revision, Runbook
from apps.status.models import Service


@require("runbooks")
@vary_on_headers("HX-Request")
def index(request: MemberRequest) -> HttpResponse:
    tag = request.GET.get("tag", "").strip()[:40]
    query = request.GET.get("q", "").strip()[:200]
    context = {
        "rows": selectors.listing(request.user, tag=tag, query=query),
        "tags": selectors.tags(request.user),
        "tag": tag,
        "query": query,
        "any": selectors.readable(request.user).exists(),
        "can_edit": can(request.user, "runbooks_edit"),
    }
    return render(request, "runbooks/index.html", context)


@require("runbooks")
def detail(request: MemberRequest, slug: str) -> HttpResponse:
    runbook = selectors.get_readable(request.user, slug)
    context: dict[str, Any] = {
        "runbook": runbook,
        "html": rendering.render(runbook.body),
        "stale": runbook.stale_reason(),
        "latest": runbook.revisions.select_related("author").first(),
        "linked_hosts": runbook.hosts.all(),
        "linked_services": runbook.services.all(),
        "can_edit": can(request.user, "runbooks_edit"),
    }
    # Run-throughs and attachments fill their own parts of the page (runs.py, attachments.py).
    context.update(runs.page_context(runbook, request))
    context.update(attachments.page_context(runbook, request))
    return render(request, "runbooks/detail.html", context)


@require("runbooks_edit")
def new(request: MemberRequest) -> HttpResponse:
    """Pick a starter (or a blank page), then the editor."""
    key = request.GET.get("from") or request.POST.get("from")
    # "Write one" from a service's page or the status board comes with the service's name.
    service = Service.objects.filter(name=request.GET.get("service", "")).first()
    if key is None:
        return render(request, "runbooks/new.html", {"starters": starters.STARTERS, "service": service})
    starter = starters.BY_KEY.get(key)
    if key != "blank" and starter is None:
        raise Http404("No such starting point.")
    initial: dict[str, Any] = (
        {"title": starter.title, "tags": list(starter.tags), "body": starter.body} if starter else {}
    )
    if service is not None:
        initial.update(services=[service], hosts=[service.host] if service.host else [])
    return _editor(request, None, initial=initial, starter=key)


@require("runbooks_edit")
def edit(request: MemberRequest, slug: str) -> HttpResponse:
    runbook = get_object_or_404(Runbook, slug=slug)
    # An owner who kept secret-shaped lines once is not asked again at every save.
    initial = {"base_revision": runbook.revision, "keep_secrets": runbook.secret_override}
    return _editor(request, runbook, initial=initial)


def _editor(request: MemberRequest, runbook: Runbook | None, *, initial: dict, starter: str = "") -> HttpResponse:
    form = RunbookForm(request.POST or None, instance=runbook, initial=initial)
    context: dict[str, Any] = {"form": form, "runbook": runbook, "starter": starter, "limit": BODY_LIMIT}
    # The preview shows what the box holds now: the posted text (the Preview button, which a
    # browser without JavaScript uses, or a save that went wrong) or the text it starts with.
    if request.method == "POST":
        body = request.POST.get("body") or ""
    else:
        body = str(initial.get("body") or getattr(runbook, "body", ""))
    context["preview"] = rendering.render(body) if len(body) <= BODY_LIMIT else None
    if request.method == "POST" and "preview" in request.POST:
        return render(request, "runbooks/edit.html", context)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        base = data["base_revision"]
        if runbook is not None and base is None:
            base = -1  # an edit that does not say where it started cannot be trusted to be current
        try:
            saved = services.runbook_save(
                form.instance,
                author=request.user,
                note=data["note"],
                base_revision=base if runbook is not None else None,
                keep_secrets=data["keep_secrets"],
                hosts=data["hosts"],
                services=data["services"],
            )
        except services.SecretShaped as exc:
            context["findings"] = exc.findings
        except services.EditConflict as exc:
            return _conflict(request, runbook, exc.current)
        else:
            messages.success(request, f"Saved “{saved.title}” (revision {saved.revision}).")
            return redirect("runbooks:detail", slug=saved.slug)
    return render(request, "runbooks/edit.html", context)


def _conflict(request: MemberRequest, runbook: Runbook | None, current: Revision | None) -> HttpResponse:
    """Someone saved while this edit was open: show their version against this one and let
    the editor choose. The form now starts from their revision, so "Save mine" is a new
    revision on top of theirs, never a silent overwrite."""
    assert runbook is not None  # a new runbook has nothing to conflict with
    fresh = Runbook.objects.get(pk=runbook.pk)
    data = request.POST.copy()
    data["base_revision"] = str(fresh.revision)
    form = RunbookForm(data, instance=fresh)
    theirs = current.body if current else fresh.body
    mine = request.POST.get("body") or ""
    context = {
        "preview": rendering.render(mine) if len(mine) <= BODY_LIMIT else None,
        "limit": BODY_LIMIT,
        "form": form,
        "runbook": fresh,
        "conflict": current,
        "conflict_diff": diffs.compare(theirs, mine),
        "title_differs": (current.title if current else fresh.title) != request.POST.get("title", ""),
    }
    return render(request, "runbooks/edit.html", context, status=409)


@require("runbooks_edit")
@require_POST
def preview(request: MemberRequest) -> HttpResponse:
    """The live preview (htmx, as the owner types): the body as the runbook's page shows it."""
    body = request.POST.get("body", "")
    context = {"html": rendering.render(body) if len(body) <= BODY_LIMIT else None, "limit": BODY_LIMIT}
    return render(request, "runbooks/partials/preview.html", context)


@require("runbooks")
def history(request: MemberRequest, slug: str) -> HttpResponse:
    """Every revision, and the difference between any two (?a=…&b=…), inline or side by side."""
    runbook = selectors.get_readable(request.user, slug)
    revisions = list(runbook.revisions.select_related("author"))
    context: dict[str, Any] = {
        "runbook": runbook,
        "revisions": revisions,
        "can_edit": can(request.user, "runbooks_edit"),
    }
    if len(revisions) >= 2:
        numbers = {r.number: r for r in revisions}
        b = numbers.get(_number(request.GET.get("b")) or 0, revisions[0])
        a = numbers.get(_number(request.GET.get("a")) or 0, revisions[1] if b is revisions[0] else revisions[-1])
        view = "side" if request.GET.get("view") == "side" else "inline"
        context.update(a=a, b=b, view=view, diff=diffs.compare(a.body, b.body))
        context.update(old_label=f"Revision {a.number}", new_label=f"Revision {b.number}")
        context.update(old_short=f"r{a.number}", new_short=f"r{b.number}")
    return render(request, "runbooks/history.html", context)


def _number(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require("runbooks_edit")
@require_POST
def restore(request: MemberRequest, slug: str, number: int) -> HttpResponse:
    runbook = get_object_or_404(Runbook, slug=slug)
    revision = get_object_or_404(Revision, runbook=runbook, number=number)
    before = runbook.revision
    saved = services.runbook_restore(runbook, revision=revision, author=request.user)
    if saved.revision != before:
        messages.success(request, f"Restored revision {number} as revision {saved.revision}.")
    else:
        messages.info(request, f"The runbook already says what revision {number} says; nothing changed.")
    return redirect("runbooks:detail", slug=saved.slug)


@require("runbooks_edit")
@require_POST
def reviewed(request: MemberRequest, slug: str) -> HttpResponse:
    runbook = get_object_or_404(Runbook, slug=slug)
    services.runbook_mark_reviewed(runbook)
    messages.success(request, f"Marked “{runbook.title}” as reviewed today.")
    return redirect("runbooks:detail", slug=slug)


@require("runbooks_edit")
@require_POST
def delete(request: MemberRequest, slug: str) -> HttpResponse:
    runbook = get_object_or_404(Runbook, slug=slug)
    services.runbook_delete(runbook)
    messages.success(request, f"Deleted “{runbook.title}” and its history.")
    return redirect("runbooks:index")
