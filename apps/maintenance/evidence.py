"""Evidence kept with a completion (CompletionFile): a screenshot of the restored share, the
restore log. Judged by content, not by name (PNG, JPEG, GIF, WebP, PDF, or plain UTF-8 text;
SVG and HTML are refused: they can carry script), bounded in size and number, stored under a
generated name, and served only to the owner (views_audit.evidence)."""

from __future__ import annotations

import re
import unicodedata
import uuid

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from apps.maintenance.models import Completion, CompletionFile

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 10  # per completion
NAME_LIMIT = CompletionFile._meta.get_field("name").max_length or 200
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "text/plain": "txt",
}
IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
ACCEPTED = "a picture (PNG, JPEG, GIF or WebP), a PDF or a plain text log"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MARKUP = re.compile(r"<\s*(svg|\?xml|!doctype|html|script)\b", re.IGNORECASE)


def sniff(head: bytes, whole: bytes | None = None) -> str | None:
    """The type the first bytes show; plain text needs the whole content to tell."""
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
    if whole is not None:
        try:
            text = whole.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if text.strip() and not _CONTROL.search(text) and not _MARKUP.search(text[:4096]):
            return "text/plain"
    return None


def display_name(name: str) -> str:
    """The name as shown: the last part of any path, without control characters, bounded."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf")).strip(" .")
    return name[:NAME_LIMIT] or "evidence"


def judge(upload: UploadedFile) -> str:
    """The upload's content type, or a ValidationError in words."""
    name = display_name(upload.name or "")
    size = upload.size or 0
    if size > MAX_BYTES:
        raise ValidationError(
            f"{name} is {size / 1024 / 1024:.1f} MB; a file can be at most {MAX_BYTES // 1024 // 1024} MB. "
            "Make the picture smaller or keep only the end of the log.",
            code="size",
        )
    if size == 0:
        raise ValidationError(f"{name} is empty.", code="empty")
    upload.seek(0)
    head = upload.read(16)
    kind = sniff(head)
    if kind is None:
        upload.seek(0)
        kind = sniff(head, upload.read(MAX_BYTES + 1))
    upload.seek(0)
    if kind is None:
        raise ValidationError(f"{name} is not {ACCEPTED}, judging by its content, so it was not kept.", code="type")
    return kind


def judge_all(uploads: list[UploadedFile], *, already: int = 0) -> list[str]:
    if already + len(uploads) > MAX_FILES:
        raise ValidationError(f"At most {MAX_FILES} files can be kept with one completion.", code="count")
    return [judge(upload) for upload in uploads]


def completion_file_add(
    *, completion: Completion, upload: UploadedFile, content_type: str | None = None
) -> CompletionFile:
    """Keep one judged file with the completion (judged again unless the caller just did)."""
    kind = content_type or judge(upload)
    evidence = CompletionFile(
        completion=completion, name=display_name(upload.name or ""), content_type=kind, size=upload.size or 0
    )
    evidence.file.save(f"{uuid.uuid4().hex}.{EXTENSIONS[kind]}", upload, save=False)
    evidence.save()
    return evidence
