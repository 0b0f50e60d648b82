"""Attachments: pictures and files a runbook shows, checked by content and size, served only
to members who may read the runbook.

- Judged by content and size, and stored under a generated name, by apps/core/uploads.py (the
  one judge of uploaded files): pictures, PDFs and plain text, SVG refused.
- Stored under MEDIA_ROOT/runbooks/.
- It is served by views_attachments.serve, which checks the runbook's audience (404 otherwise),
  never from a public /media/ URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import escape

from apps.accounts.roles import can
from apps.core import uploads
from apps.runbooks.models import Attachment, Runbook

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_BYTES = uploads.MAX_BYTES
MAX_PER_RUNBOOK = 100
IMAGE_TYPES = uploads.IMAGE_TYPES
LIMIT_WORDS = uploads.megabytes(MAX_BYTES)
name_problem = uploads.name_problem  # the serving view refuses such names before asking the database


# --- writes --------------------------------------------------------------------------------


@transaction.atomic
def attachment_add(*, runbook: Runbook, upload: UploadedFile, user: User) -> Attachment:
    judged = uploads.judge(upload)
    if runbook.attachments.count() >= MAX_PER_RUNBOOK:
        raise ValidationError(
            f"This runbook already has {MAX_PER_RUNBOOK} attachments; delete some first.", code="count"
        )
    attachment = Attachment(
        runbook=runbook, name=judged.name, content_type=judged.content_type, size=judged.size, uploaded_by=user
    )
    attachment.file.save(judged.stored_name(), upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


def attachment_delete(*, attachment: Attachment) -> None:
    stored = attachment.file
    attachment.delete()
    # The file goes once the row is gone for good (a rolled-back delete keeps both).
    transaction.on_commit(lambda: stored.delete(save=False))


def attachment_delete_all(*, runbook: Runbook) -> None:
    """Every attachment of a runbook, files too: what deleting the runbook calls first (the
    database's cascade removes rows, never files)."""
    for attachment in list(runbook.attachments.all()):
        attachment_delete(attachment=attachment)


# --- reads ---------------------------------------------------------------------------------


def url_of(attachment: Attachment) -> str:
    return reverse(
        "runbooks:attachment",
        kwargs={"slug": attachment.runbook.slug, "pk": attachment.pk, "name": attachment.name},
    )


def snippet(attachment: Attachment) -> str:
    """The Markdown to paste into the body: a picture for images, a link for the rest."""
    label = re.sub(r"[\[\]\n]", " ", attachment.name.rsplit(".", 1)[0]).strip() or "file"
    # Quoted whole, so spaces and brackets in the name cannot end the Markdown link early.
    path = url_of(attachment).rsplit("/", 1)[0] + "/" + quote(attachment.name, safe="")
    return f"![{label}]({path})" if attachment.content_type in IMAGE_TYPES else f"[{label}]({path})"


@dataclass
class Listed:
    attachment: Attachment
    url: str
    markdown: str
    is_image: bool


def page_context(runbook: Runbook, request: HttpRequest) -> dict[str, Any]:
    """What the runbook's page shows of its attachments (templates/runbooks/partials/attachments.html)."""
    listed = [
        Listed(a, url_of(a), snippet(a), a.content_type in IMAGE_TYPES)
        for a in runbook.attachments.select_related("runbook")
    ]
    return {
        "runbook": runbook,
        "attachments": listed,
        "may_edit_attachments": can(request.user, "runbooks_edit"),
        "attachment_limit": LIMIT_WORDS,
        "next_url": request.get_full_path(),
    }


_ATTACHMENT_LINK = re.compile(
    r'<a href="/runbooks/(?P<slug>[A-Za-z0-9_-]+)/files/(?P<pk>\d+)/[^"]*"[^>]*>(?P<alt>[^<]*)</a>'
)


def image_names(runbook: Runbook) -> dict[int, str]:
    """The runbook's pictures, id -> name: what show_images may turn into <img>."""
    return dict(runbook.attachments.filter(content_type__in=IMAGE_TYPES).values_list("pk", "name"))


def show_images(html: str, runbook: Runbook, images: dict[int, str] | None = None) -> str:
    """The one renderer turns every image into a link (apps/core/markdown.py: a picture from
    elsewhere would make each reader's browser fetch it). A picture attached to this runbook
    is served by the portal to readers of the runbook only, so it is shown: its link becomes
    an <img>. `html` is already sanitized; the alt text stays escaped as it was."""
    if "/files/" not in html:
        return html
    if images is None:
        images = image_names(runbook)

    def replace(match: re.Match[str]) -> str:
        pk = int(match["pk"])
        if match["slug"] != runbook.slug or pk not in images:
            return match[0]
        src = reverse("runbooks:attachment", kwargs={"slug": runbook.slug, "pk": pk, "name": images[pk]})
        alt = escape(unescape(match["alt"]))  # text may hold a bare ", an attribute may not
        return f'<img class="attachment" src="{escape(src)}" alt="{alt}" loading="lazy">'

    return _ATTACHMENT_LINK.sub(replace, html)
