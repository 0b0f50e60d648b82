"""Attachments: pictures and files a runbook shows, checked by content and size, served only
to members who may read the runbook.

- The type is judged by the first bytes (PNG, JPEG, GIF, WebP, PDF) or, for plain text, by the
  whole content decoding as UTF-8 without control characters. Anything else is refused, SVG
  too: it is XML that can carry script.
- The file is stored under MEDIA_ROOT/runbooks/ with a generated name; the name the owner gave
  is only shown and used in links, and one with a path in it (../../etc/passwd, /etc/passwd,
  C:\\x, a NUL byte) is refused rather than trimmed.
- It is served by views_attachments.serve, which checks the runbook's audience (404 otherwise),
  never from a public /media/ URL.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
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
from apps.runbooks.models import Attachment, Runbook

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_RUNBOOK = 100
NAME_LIMIT = Attachment._meta.get_field("name").max_length or 200
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "text/plain": "txt",
}
ACCEPTED_WORDS = "a picture (PNG, JPEG, GIF or WebP), a PDF or a plain text file"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


LIMIT_WORDS = _megabytes(MAX_BYTES)


# --- judging a file ----------------------------------------------------------------------


def content_type_of(head: bytes, whole: bytes | None = None) -> str | None:
    """The type the content shows, or None when it is none of those accepted. `whole` is the
    entire file, needed only to tell plain text (every byte of it) from anything else."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if whole is not None and _plain_text(whole):
        return "text/plain"
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MARKUP = re.compile(r"<\s*(svg|\?xml|!doctype|html|script)\b", re.IGNORECASE)


def _plain_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    # Markup is not plain text: an SVG or HTML page saved as .txt would still be one.
    return bool(text.strip()) and not _CONTROL.search(text) and not _MARKUP.search(text[:4096])


def name_problem(name: str) -> str | None:
    """Why an uploaded file's name cannot be used, or None. Browsers send the bare name; a path
    in it means a crafted request, so it is refused, not trimmed."""
    if not name or not name.strip():
        return "The file has no name."
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        return "The file's name contains control characters; rename it and try again."
    if "/" in name or "\\" in name or name.strip(". ") == "" or ".." in name or re.match(r"^[A-Za-z]:", name):
        return "The file's name must be a plain name like nas-panel.png, without folders or '..'."
    if name.startswith("."):
        return "The file's name must not start with a dot."
    if len(name) > NAME_LIMIT:
        return f"The file's name is too long: at most {NAME_LIMIT} characters."
    return None


def judge(upload: UploadedFile) -> str:
    """The upload's content type; a ValidationError in words when it is refused."""
    problem = name_problem(upload.name or "")
    if problem:
        raise ValidationError(problem, code="name")
    size = upload.size or 0
    if size > MAX_BYTES:
        raise ValidationError(
            f"{upload.name} is {_megabytes(size)}; an attachment can be at most {LIMIT_WORDS}. "
            "Make the picture smaller or split the file.",
            code="size",
        )
    if size == 0:
        raise ValidationError(f"{upload.name} is empty.", code="empty")
    upload.seek(0)
    head = upload.read(16)
    whole = None
    if content_type_of(head) is None:
        upload.seek(0)
        whole = upload.read(MAX_BYTES + 1)
    upload.seek(0)
    kind = content_type_of(head, whole)
    if kind is None:
        raise ValidationError(
            f"{upload.name} is not {ACCEPTED_WORDS}, judging by its content, so it was not added. "
            "SVG drawings are refused too: they can carry scripts.",
            code="type",
        )
    return kind


# --- writes --------------------------------------------------------------------------------


@transaction.atomic
def attachment_add(*, runbook: Runbook, upload: UploadedFile, user: User) -> Attachment:
    kind = judge(upload)
    if runbook.attachments.count() >= MAX_PER_RUNBOOK:
        raise ValidationError(
            f"This runbook already has {MAX_PER_RUNBOOK} attachments; delete some first.", code="count"
        )
    name, size = upload.name or "", upload.size or 0  # judge() has refused a file without either
    attachment = Attachment(runbook=runbook, name=name, content_type=kind, size=size, uploaded_by=user)
    # A generated name on disk: the owner's name never becomes a path.
    attachment.file.save(f"{uuid.uuid4().hex}.{EXTENSIONS[kind]}", upload, save=False)
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
