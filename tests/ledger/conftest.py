"""The import's helpers: upload a file as Alice would, read the page's preselected choices and
confirm them (with any the test changes), as a browser without JavaScript would post them."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.accounts.roles import Role
from apps.ledger.models import ImportBatch, LedgerSettings
from tests.conftest import make_member, signed_in

CORPUS = Path(__file__).parent / "csv_corpus"


@pytest.fixture
def owner(client, db):
    return signed_in(client, make_member("alice", Role.OWNER))


def household(currency: str) -> None:
    settings = LedgerSettings.load()
    settings.currency = currency
    settings.save()


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def upload(client, name: str, data: bytes | None = None):
    data = corpus(name) if data is None else data
    return client.post(reverse("ledger:import"), {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def uploaded(client, name: str, data: bytes | None = None) -> ImportBatch:
    response = upload(client, name, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[1])


def choices(client, batch: ImportBatch) -> dict[str, str]:
    """What the mapping form preselects (its guesses, or the owner's last choices)."""
    form = client.get(reverse("ledger:import_batch", args=[batch.pk])).context["form"]
    return {field.html_name: "" if field.value() is None else str(field.value()) for field in form}


def confirm(client, batch: ImportBatch, **changes: str):
    data = {**choices(client, batch), **changes}
    return client.post(reverse("ledger:import_save", args=[batch.pk]), data)


def text(response) -> str:
    """The page as its reader sees it (quotes and ampersands unescaped)."""
    return html.unescape(response.content.decode())
