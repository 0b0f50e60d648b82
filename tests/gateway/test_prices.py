"""A backend's prices per million tokens (what the ledger counts each morning): typed on its
Settings page or written in the `backends` section, refused in the same words, shown on the
gateway's page, exported and imported to the digit."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
import yaml
from django.urls import reverse

from apps.core import config
from apps.gateway.models import PRICE_WORDS, Backend
from tests.conftest import signed_in
from tests.gateway.test_pages import backend_data

pytestmark = pytest.mark.django_db

NEGATIVE = "A price cannot be negative."


def test_the_owner_gives_a_backend_its_prices_and_the_page_shows_them(client, alice):
    signed_in(client, alice)
    response = client.post(
        reverse("gateway:backend_new"),
        backend_data(name="cloud", price_input_per_m="0.15", price_output_per_m="0.6"),
    )
    assert response.status_code == 302
    cloud = Backend.objects.get()
    assert (cloud.price_input_per_m, cloud.price_output_per_m, cloud.is_paid) == (Decimal("0.15"), Decimal("0.6"), True)
    text = html.unescape(client.get(reverse("gateway:settings")).content.decode())
    assert "paid: 0.15 / 0.6 per million input / output tokens" in text
    form = client.get(reverse("gateway:backend_edit", args=[cloud.pk])).content.decode()
    assert "Price of a million input tokens" in form and "the household&#x27;s currency" in form


def test_a_free_backend_shows_no_price(client, alice):
    signed_in(client, alice).post(reverse("gateway:backend_new"), backend_data(name="studio"))
    assert Backend.objects.get().price_input_per_m is None
    assert "paid:" not in client.get(reverse("gateway:settings")).content.decode()


@pytest.mark.parametrize(
    ("typed", "written", "words"),
    [
        ("cheap", "cheap", PRICE_WORDS),
        ("0.12345", "0.12345", PRICE_WORDS),
        ("123456789", "123456789", PRICE_WORDS),
        ("-1", "-1", NEGATIVE),
    ],
)
def test_the_page_and_the_file_refuse_a_price_in_the_same_words(client, alice, typed, written, words):
    response = signed_in(client, alice).post(
        reverse("gateway:backend_new"), backend_data(name="cloud", price_output_per_m=typed)
    )
    assert words in html.unescape(response.content.decode())
    result = config.import_text(
        f"backends:\n  - {{name: cloud, base_url: 'https://api.openai.com/v1', price_output_per_m: {written}}}\n"
    )
    assert [(error.message, error.line) for error in result.errors] == [(words, 2)]
    assert not Backend.objects.exists()


def test_prices_round_trip_through_the_file_to_the_digit():
    document = """
backends:
  - name: cloud
    kind: openai
    base_url: https://api.openai.com/v1
    price_input_per_m: 0.15
    price_output_per_m: "12.3456"
  - {name: studio, kind: ollama, base_url: "http://studio.home.arpa:11434"}
"""
    assert config.import_text(document).ok
    cloud = Backend.objects.get(name="cloud")
    assert (cloud.price_input_per_m, cloud.price_output_per_m) == (Decimal("0.15"), Decimal("12.3456"))
    exported = yaml.safe_load(config.export_text())["backends"]
    assert {row["name"]: (row.get("price_input_per_m"), row.get("price_output_per_m")) for row in exported} == {
        "cloud": (0.15, 12.3456),
        "studio": (None, None),
    }
    again = config.import_text(yaml.safe_dump({"backends": exported}))
    assert again.ok and again.counts["backends"]["unchanged"] == 2
    cloud.refresh_from_db()
    assert (cloud.price_input_per_m, cloud.price_output_per_m) == (Decimal("0.1500"), Decimal("12.3456"))


def test_leaving_the_prices_out_of_the_file_makes_the_backend_free_again():
    config.import_text("backends:\n  - {name: cloud, base_url: 'http://x:1', price_input_per_m: 1}\n")
    assert Backend.objects.get().is_paid
    config.import_text("backends:\n  - {name: cloud, base_url: 'http://x:1'}\n")
    assert not Backend.objects.get().is_paid
