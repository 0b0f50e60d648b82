"""The XSS corpus through every Markdown and plain field of handovers and contacts, on every
page that shows them: nothing executable comes out, and links are http(s), mailto or tel of
digits only. Rows are also written past the validators (objects.create), as an old or
hand-edited database could hold them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.handover import services
from apps.handover.models import AccessLog, Contact, Handover, HandoverNote, IfThen
from tests.chat.test_markdown import XSS, elements, scheme
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

FORBIDDEN_TAGS = {"script", "svg", "math", "iframe", "object", "embed", "img", "style", "details", "base", "meta"}
PLAIN_MARKERS = ["<script", "<img", "<svg", "<iframe", '<a href="javascript', "<details", "<style", "<form action"]


def page_part(html: str) -> str:
    """The page's main content: base.html's own script tags and forms are not under test."""
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def assert_safe(html: str) -> None:
    lowered = html.lower()
    for tag in FORBIDDEN_TAGS:
        assert f"<{tag}" not in lowered, tag
    for tag, attrs in elements(html):
        assert tag not in FORBIDDEN_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in {"style", "src", "srcdoc", "target", "formaction", "xlink:href"}, (tag, name)
            if name == "href":
                url = value or ""
                if scheme(url) == "tel":
                    assert re.fullmatch(r"tel:\+?[0-9]+", url), url
                else:
                    assert scheme(url) in {"", "http", "https", "mailto"}, url
                    if scheme(url) == "mailto":
                        assert re.fullmatch(r"mailto:[A-Za-z0-9@.+\-_%]+", url), url


def fit(model, field: str, text: str) -> str:
    """The text as far as the column holds it (Postgres refuses more; SQLite would not)."""
    return text[: model._meta.get_field(field).max_length or None]


@pytest.fixture
def hostile(alice, charlie):
    def plant(text: str) -> Handover:
        now = timezone.now()
        handover = Handover(
            title=fit(Handover, "title", text), starts=now - timedelta(hours=1), ends=now + timedelta(days=2)
        )
        handover.welcome = handover.checks = text
        services.handover_save(handover, caretakers=[charlie])
        IfThen.objects.create(handover=handover, when=fit(IfThen, "when", text), do=text)
        HandoverNote.objects.create(handover=handover, author=charlie, text=text)
        Contact.objects.create(
            name=fit(Contact, "name", text),
            role=fit(Contact, "role", text),
            phone=fit(Contact, "phone", text),
            email=fit(Contact, "email", text),
            notes=text,
        )
        Contact.objects.create(name="Mia", role="neighbour", phone="+49 30 1", email="mia@example.com")
        AccessLog.objects.create(user=charlie, kind="page", method="GET", path=fit(AccessLog, "path", "/" + text))
        type(charlie).objects.filter(pk=charlie.pk).update(first_name=text[:150])
        return handover

    return plant


@pytest.mark.parametrize("text", XSS)
def test_no_handover_or_contact_field_outputs_anything_executable(client, alice, charlie, hostile, text):
    handover = hostile(text)
    pages = {
        "caretaker's page": (charlie, reverse("handover:index")),
        "preview": (alice, reverse("handover:preview", args=[handover.pk])),
        "handovers": (alice, reverse("handover:settings")),
        "edit": (alice, reverse("handover:edit", args=[handover.pk])),
        "contacts": (alice, reverse("handover:contacts")),
        "access log": (alice, reverse("handover:access_log")),
        "owner's home": (alice, reverse("core:dashboard")),
    }
    for name, (who, url) in pages.items():
        response = signed_in(client, who).get(url)
        assert response.status_code == 200, name
        main = page_part(response.content.decode())
        if name == "owner's home":  # the handover's panel; the others are their apps' business
            main = main.split('id="handover"', 1)[1].split("</section>", 1)[0]
        if name == "edit":  # form fields: the text is escaped into values and textareas
            for marker in PLAIN_MARKERS:
                assert marker not in main.lower(), name
            continue
        try:
            assert_safe(main.replace(f'action="{reverse("handover:note_add", args=[handover.pk])}"', ""))
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None


def test_the_hostile_contact_is_shown_as_text_without_links(client, charlie, hostile):
    hostile('"><script>alert(1)</script>')
    html = page_part(signed_in(client, charlie).get(reverse("handover:index")).content.decode())
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count('href="tel:') == 1 and html.count('href="mailto:') == 1  # Mia's only
