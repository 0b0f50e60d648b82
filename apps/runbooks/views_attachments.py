"""Attachment pages: the owner's upload and delete, and the one way a file is read (`serve`),
which checks the runbook's audience first. Thin: the rules are in attachments.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from apps.accounts.roles import require
from apps.core import uploads
from apps.core.http import MemberRequest
from apps.runbooks import attachments, runs
from apps.runbooks.models import Attachment

# Room for the multipart envelope around the largest file we accept.
ENVELOPE = 64 * 1024


def _back(request: MemberRequest, slug: str) -> HttpResponse:
    """Back to where the form was (the runbook's page), or to the attachments page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("runbooks:attachments", slug=slug)


@require("runbooks_edit")
def manage(request: MemberRequest, slug: str) -> HttpResponse:
    """GET: the runbook's attachments with the upload form; POST: add one."""
    runbook = runs.readable_runbook(request.user, slug)
    if request.method == "POST":
        # Refused before Django reads the body to a temporary file.
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > attachments.MAX_BYTES + ENVELOPE:
            messages.error(request, f"That file is too big: an attachment can be at most {attachments.LIMIT_WORDS}.")
            return _back(request, slug)
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a file to attach first.")
            return _back(request, slug)
        try:
            added = attachments.attachment_add(runbook=runbook, upload=upload, user=request.user)
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        else:
            messages.success(request, f"Attached {added.name}. Paste its Markdown into the runbook to show it.")
        return _back(request, slug)
    context = attachments.page_context(runbook, request)
    return render(request, "runbooks/runs/attachments.html", context)


@require("runbooks_edit")
@require_POST
def delete(request: MemberRequest, slug: str, pk: int) -> HttpResponse:
    runbook = runs.readable_runbook(request.user, slug)
    attachment = get_object_or_404(Attachment, pk=pk, runbook=runbook)
    attachments.attachment_delete(attachment=attachment)
    messages.success(request, f"Deleted {attachment.name}. Links to it in the runbook no longer work.")
    return _back(request, slug)


@require("runbooks")
@require_safe
def serve(request: MemberRequest, slug: str, pk: int, name: str) -> FileResponse:
    """The file, for members who may read its runbook; 404 for everyone else, as if it did not
    exist. The stored path is the generated one, never the name in the address."""
    runbook = runs.readable_runbook(request.user, slug)
    if attachments.name_problem(name):  # a NUL byte or a path: no stored name is like that
        raise Http404("No such file.")
    attachment = get_object_or_404(Attachment, pk=pk, runbook=runbook, name=name)
    return uploads.serve(attachment.file, name=attachment.name, content_type=attachment.content_type)
