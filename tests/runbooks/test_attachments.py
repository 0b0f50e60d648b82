"""Attachments: judged by content and size, stored under a generated name, served only to the
members who may read the runbook, never from a path the request names."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.runbooks import attachments, runs, views_attachments
from apps.runbooks.models import Attachment, Audience, Run
from tests.conftest import signed_in
from tests.runbooks.conftest import steps_runbook

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
TEXT = "Router: the white box under the stairs.\nÜbergabe: Schlüssel beim Nachbarn.\n".encode()


def upload(client, runbook, name: str, content: bytes, **extra):
    url = reverse("runbooks:attachments", args=[runbook.slug])
    return client.post(url, {"file": SimpleUploadedFile(name, content), **extra}, follow=True)


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("nas-panel.png", PNG, "image/png"),
        ("wiring.jpg", JPEG, "image/jpeg"),
        ("blink.gif", GIF, "image/gif"),
        ("photo.webp", WEBP, "image/webp"),
        ("manual.pdf", PDF, "application/pdf"),
        ("notes.txt", TEXT, "text/plain"),
        ("photo.txt", PNG, "image/png"),  # the content decides, not the name
    ],
)
def test_the_owner_attaches_pictures_pdfs_and_text_judged_by_content(client, alice, name, content, kind):
    runbook = steps_runbook()
    response = upload(signed_in(client, alice), runbook, name, content)
    assert f"Attached {name}." in response.content.decode()
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.content_type, attachment.size) == (name, kind, len(content))
    stored = Path(attachment.file.path)
    assert stored.read_bytes() == content
    assert stored.parent == Path(settings.MEDIA_ROOT) / "runbooks" and stored.name != name  # a generated name


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("drawing.txt", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("page.txt", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64),
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 64),
        ("latin1.txt", "Caf\xe9 au lait".encode("latin-1")),
        ("binary.txt", b"text with a NUL \x00 byte"),
        ("empty.png", b""),
    ],
)
def test_other_types_are_refused_in_words(client, alice, name, content):
    runbook = steps_runbook()
    page = upload(signed_in(client, alice), runbook, name, content).content.decode()
    assert "was not added" in page or "is empty" in page
    assert not Attachment.objects.exists()
    assert not list((Path(settings.MEDIA_ROOT) / "runbooks").glob("*"))


def test_a_file_over_the_size_limit_is_refused_in_words(client, alice, settings):
    runbook = steps_runbook()
    big = PNG + b"\x00" * (attachments.MAX_BYTES + 2 * views_attachments.ENVELOPE)
    page = upload(signed_in(client, alice), runbook, "huge.png", big).content.decode()
    assert "That file is too big: an attachment can be at most 10 MB." in page
    assert not Attachment.objects.exists()
    # Just over the limit, inside the envelope's allowance: judged by the file's own size.
    page = upload(client, runbook, "huge.png", PNG + b"\x00" * (attachments.MAX_BYTES - len(PNG) + 1)).content.decode()
    assert "huge.png is 10 MB; a file can be at most 10 MB. Make the picture smaller" in page
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "/etc/passwd", "..\\..\\windows\\win.ini", "C:evil.png", "nas\x00.png", "..", ".htaccess"],
)
def test_a_name_with_a_path_in_it_is_refused(client, alice, name):
    runbook = steps_runbook()
    assert attachments.name_problem(name) is not None
    upload = SimpleUploadedFile("x.png", PNG)
    upload._name = name  # as a crafted request could hand it over; the `name` setter would trim it
    with pytest.raises(ValidationError, match="name"):
        attachments.attachment_add(runbook=runbook, upload=upload, user=alice)
    assert not Attachment.objects.exists()


def test_a_crafted_multipart_name_never_becomes_a_path(client, alice, tmp_path):
    runbook = steps_runbook()
    boundary = "xyz"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="../../../../..{tmp_path}/evil.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + PNG
        + f"\r\n--{boundary}--\r\n".encode()
    )
    url = reverse("runbooks:attachments", args=[runbook.slug])
    signed_in(client, alice).post(url, body, content_type=f"multipart/form-data; boundary={boundary}")
    attachment = Attachment.objects.get()  # Django keeps the last part of the name; ours is generated
    assert attachment.name == "evil.png"
    assert Path(attachment.file.path).parent == Path(settings.MEDIA_ROOT) / "runbooks"
    assert not (tmp_path / "evil.png").exists()


def test_a_path_in_the_address_never_reaches_the_disk(client, alice):
    runbook = steps_runbook()
    upload(signed_in(client, alice), runbook, "panel.png", PNG)
    attachment = Attachment.objects.get()
    base = f"/runbooks/{runbook.slug}/files/{attachment.pk}/"
    for tail in ("..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "panel.png%00", "..", "panel.png/../../x"):
        assert client.get(base + tail).status_code == 404, tail
    assert client.get(base + "panel.png").status_code == 200


def test_files_are_served_only_to_roles_that_read_the_runbook(client, alice, bob, charlie):
    household = steps_runbook(slug="nas-full", audience=Audience.HOUSEHOLD)
    upload(signed_in(client, alice), household, "notes.txt", TEXT)
    url = attachments.url_of(Attachment.objects.get())
    assert url.startswith("/runbooks/nas-full/files/")
    stored = Attachment.objects.get().file.name  # runbooks/<generated>.txt under MEDIA_ROOT
    for public in (f"/media/{stored}", f"/{stored}", f"/static/{stored}"):
        assert client.get(public).status_code == 404, public
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == TEXT
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Disposition"] == 'inline; filename="notes.txt"'
    assert signed_in(client, bob).get(url).status_code == 200
    assert signed_in(client, charlie).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to sign in
    # An owner-only runbook's files: the owner alone.
    private = steps_runbook(slug="keys", audience=Audience.OWNER)
    upload(signed_in(client, alice), private, "safe.pdf", PDF)
    pdf_url = attachments.url_of(private.attachments.get())
    response = client.get(pdf_url)
    assert response.status_code == 200 and response["Content-Disposition"] == 'attachment; filename="safe.pdf"'
    assert signed_in(client, bob).get(pdf_url).status_code == 404


def test_only_the_owner_uploads_and_deletes(client, alice, bob, charlie, django_capture_on_commit_callbacks):
    runbook = steps_runbook()
    for member in (bob, charlie):
        assert upload(signed_in(client, member), runbook, "x.png", PNG).status_code == 403
    assert not Attachment.objects.exists()
    upload(signed_in(client, alice), runbook, "x.png", PNG)
    attachment = Attachment.objects.get()
    stored = Path(attachment.file.path)
    delete = reverse("runbooks:attachment_delete", args=[runbook.slug, attachment.pk])
    assert signed_in(client, charlie).post(delete).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(client, alice).post(delete, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("runbooks:attachments", args=[runbook.slug])  # not elsewhere
    assert not Attachment.objects.exists() and not stored.exists()


def test_the_partial_lists_the_markdown_to_paste_and_the_run_page_shows_the_picture(client, alice, charlie):
    runbook = steps_runbook()
    upload(signed_in(client, alice), runbook, "NAS panel.png", PNG)
    upload(client, runbook, "manual.pdf", PDF)
    picture, manual = runbook.attachments.order_by("name")
    page = client.get(reverse("runbooks:attachments", args=[runbook.slug])).content.decode()
    assert f'value="![NAS panel](/runbooks/{runbook.slug}/files/{picture.pk}/NAS%20panel.png)"' in page
    assert f'value="[manual](/runbooks/{runbook.slug}/files/{manual.pk}/manual.pdf)"' in page
    assert "Delete NAS panel.png" in page
    # Pasted into the body, the picture shows on the run page (served by the portal).
    from tests.runbooks.conftest import add_revision

    add_revision(runbook, f'Before you start:\n\n{attachments.snippet(picture)}\n\n- [ ] Look at the "panel"\n')
    run = runs.run_start(runbook=runbook, user=charlie)
    page = signed_in(client, charlie).get(reverse("runbooks:run", args=[runbook.slug, run.pk])).content.decode()
    assert (
        f'<img class="attachment" src="/runbooks/{runbook.slug}/files/{picture.pk}/NAS%20panel.png" alt="NAS panel"'
        in page
    )
    assert Run.objects.count() == 1


def test_an_image_link_to_another_runbook_stays_a_link(alice):
    runbook = steps_runbook()
    other = steps_runbook(slug="other")
    html = f'<p><a href="/runbooks/{other.slug}/files/1/x.png" rel="noopener">x" onerror="alert(1)</a></p>'
    assert attachments.show_images(html, runbook) == html


def test_deleting_all_of_a_runbooks_attachments_removes_their_files(client, alice, django_capture_on_commit_callbacks):
    runbook = steps_runbook()
    upload(signed_in(client, alice), runbook, "a.png", PNG)
    upload(client, runbook, "b.pdf", PDF)
    stored = [Path(a.file.path) for a in runbook.attachments.all()]
    assert all(path.exists() for path in stored)
    with django_capture_on_commit_callbacks(execute=True):
        attachments.attachment_delete_all(runbook=runbook)
    assert not runbook.attachments.exists() and not any(path.exists() for path in stored)
