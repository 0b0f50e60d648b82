"""Files a person uploads (a runbook's pictures, a completion's screenshots and logs): judged
by content and size, stored under a generated name, served so the browser can run nothing.

- The type is judged by the first bytes (PNG, JPEG, GIF, WebP, PDF) or, for plain text, by the
  whole content decoding as UTF-8 without control characters or markup. Anything else is
  refused, SVG too: it is XML that can carry script.
- The name the person gave is only shown and used in links; one with a path in it
  (../../etc/passwd, /etc/passwd, C:\\x, a NUL byte) is refused rather than trimmed.
- `serve` answers with nosniff, a sandboxing Content-Security-Policy and no caching by others;
  callers check who may see the file first (404 for everyone else).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.http import content_disposition_header

MAX_BYTES = 10 * 1024 * 1024
NAME_LIMIT = 200
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
# Whatever a file holds, the browser may not run it, fetch with it or frame it.
FILE_POLICY = "default-src 'none'; sandbox"


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


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


@dataclass(frozen=True)
class Judged:
    name: str  # as uploaded: shown and used in links, never a path
    content_type: str
    size: int

    def stored_name(self) -> str:
        """A generated name on disk: the uploaded name never becomes a path."""
        return f"{uuid.uuid4().hex}.{EXTENSIONS[self.content_type]}"


def judge(upload: UploadedFile, *, max_bytes: int = MAX_BYTES) -> Judged:
    """What may be kept of an upload; a ValidationError in words when it is refused."""
    name = upload.name or ""
    if problem := name_problem(name):
        raise ValidationError(problem, code="name")
    size = upload.size or 0
    if size > max_bytes:
        raise ValidationError(
            f"{name} is {megabytes(size)}; a file can be at most {megabytes(max_bytes)}. "
            "Make the picture smaller or split the file.",
            code="size",
        )
    if size == 0:
        raise ValidationError(f"{name} is empty.", code="empty")
    upload.seek(0)
    head = upload.read(16)
    whole = None
    if content_type_of(head) is None:
        upload.seek(0)
        whole = upload.read(max_bytes + 1)
    upload.seek(0)
    kind = content_type_of(head, whole)
    if kind is None:
        raise ValidationError(
            f"{name} is not {ACCEPTED_WORDS}, judging by its content, so it was not added. "
            "SVG drawings are refused too: they can carry scripts.",
            code="type",
        )
    return Judged(name=name, content_type=kind, size=size)


def serve(stored: FieldFile, *, name: str, content_type: str) -> FileResponse:
    """The stored file as the browser should get it: pictures and text open in the page, a
    PDF is downloaded (a browser's PDF viewer does not run under the sandbox)."""
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from the data folder.") from None
    kind = f"{content_type}; charset=utf-8" if content_type == "text/plain" else content_type
    response = FileResponse(handle, content_type=kind)
    inline = content_type in IMAGE_TYPES or content_type == "text/plain"
    response["Content-Disposition"] = content_disposition_header(not inline, name) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_POLICY
    response["Cache-Control"] = "private, max-age=3600"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
