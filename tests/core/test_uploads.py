"""The one judge of uploaded files (apps/core/uploads.py): by content and size, never by name;
names with paths refused; what it serves cannot run in the browser."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core import uploads

ACCEPTED = [
    ("panel.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png"),
    ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
    ("old.gif", b"GIF89a" + b"\x00" * 32, "image/gif"),
    ("new.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 16, "image/webp"),
    ("manual.pdf", b"%PDF-1.7\n", "application/pdf"),
    ("restore.log", "Restored 1,204 files in 3 min — all opened.\n".encode(), "text/plain"),
    # A picture named .txt is a picture: the name says nothing.
    ("notes.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png"),
]
REFUSED = [
    ("drawing.svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>', "type"),
    ("page.txt", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "type"),
    ("program.exe", b"MZ\x90\x00\x03\x00\x00\x00", "type"),
    ("binary.log", b"\x00\x01\x02\x03 not text", "type"),
    ("latin1.txt", "caf\xe9".encode("latin-1"), "type"),
    ("empty.png", b"", "empty"),
    ("C:evil.png", b"\x89PNG\r\n\x1a\n", "name"),
    ("nul\x00.png", b"\x89PNG\r\n\x1a\n", "name"),
    (".hidden.png", b"\x89PNG\r\n\x1a\n", "name"),
]


@pytest.mark.parametrize(("name", "data", "kind"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted_by_content(name, data, kind):
    judged = uploads.judge(SimpleUploadedFile(name, data))
    assert judged.content_type == kind and judged.name == name
    assert judged.stored_name().endswith("." + uploads.EXTENSIONS[kind]) and name not in judged.stored_name()


@pytest.mark.parametrize(("name", "data", "code"), REFUSED, ids=[r[0].replace("\x00", "NUL") for r in REFUSED])
def test_refused_in_words(name, data, code):
    upload = SimpleUploadedFile("x", data)
    upload.name = name  # as a crafted request would send it (Django would trim the folders)
    with pytest.raises(ValidationError) as refused:
        uploads.judge(upload)
    assert refused.value.code == code and refused.value.messages[0].endswith(".")


def test_the_size_bound_is_checked_before_the_content_is_read():
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048)
    with pytest.raises(ValidationError, match=r"big.png is 0 MB; a file can be at most 0 MB"):
        uploads.judge(big, max_bytes=1024)


def test_a_path_in_a_name_is_refused_and_never_reaches_the_disk():
    assert uploads.name_problem("../../etc/passwd") and uploads.name_problem("/etc/passwd")
    assert uploads.name_problem("a\\b.png") and uploads.name_problem("C:\\x.png")
    upload = SimpleUploadedFile("x", b"root:x:0:0\n")
    upload.name = "../../etc/passwd"  # Django's UploadedFile keeps the last part only
    judged = uploads.judge(upload)
    assert judged.name == "passwd" and "/" not in judged.stored_name()
