"""Hostile text through every field of a runbook a member can write (title, tags, body, the
revision note) comes out escaped or sanitized on every page that shows it; links that run
script lose their href."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from apps.runbooks import services
from apps.runbooks.models import Runbook
from tests.conftest import signed_in
from tests.runbooks.conftest import make_runbook

CORPUS = [
    "<script>alert('t')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)>",
    "<iframe src=https://evil.example/></iframe>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![pic](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<style>body{display:none}</style>",
    "- [ ] <b onmouseover=alert(1)>step</b>",
    '[x](https://ok.example/ "title" onclick=alert(1))',
    "`<script>`",
]
FORBIDDEN_TAGS = {"img", "svg", "iframe", "style", "object", "embed", "math", "form"}
SAFE_SCHEMES = ("http:", "https:", "mailto:")


class _Checker(HTMLParser):
    """Reads the page as a browser would and notes what could run script or load something."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.in_textarea = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.problems.append("an inline <script>")  # the page's own scripts are files under /static/
        ours = (tag == "form" and "method" in values) or (tag == "svg" and values.get("aria-hidden") == "true")
        if tag in FORBIDDEN_TAGS and not ours:  # our own forms say their method; our icons are aria-hidden
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
            if name in {"href", "src", "action", "formaction"} and value:
                scheme = re.match(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*:)", value)
                if scheme and not scheme.group(1).lower().startswith(SAFE_SCHEMES):
                    self.problems.append(f"{name}={value!r}")


def unsafe(html: str) -> list[str]:
    checker = _Checker()
    checker.feed(html)
    return checker.problems


@pytest.fixture
def hostile(alice):
    body = "\n\n".join(CORPUS)
    runbook = make_runbook("hostile", title=CORPUS[0] + CORPUS[1], author=alice, body="- [ ] safe step")
    runbook.body = body
    services.runbook_save(runbook, author=alice, note=CORPUS[1] + CORPUS[0], keep_secrets=True)
    Runbook.objects.filter(pk=runbook.pk).update(created=timezone.now() - timedelta(days=400))  # stale: dashboard
    return runbook


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/runbooks/",
        "/runbooks/?q=alert",
        "/runbooks/hostile/",
        "/runbooks/hostile/history/",
        "/runbooks/hostile/history/?a=1&b=2&view=side",
        "/runbooks/hostile/edit/",
        "/search/?q=alert",
        "/search/?q=%3Cscript%3E",
    ],
)
def test_hostile_text_is_escaped_on_every_page(client, alice, hostile, url):
    signed_in(client, alice)
    response = client.get(url)
    assert response.status_code == 200
    assert unsafe(response.content.decode()) == []


@pytest.mark.parametrize("text", CORPUS)
def test_the_preview_sanitizes_each_line(client, alice, text):
    signed_in(client, alice)
    html = client.post("/runbooks/preview/", {"body": text}).content.decode()
    assert unsafe(html) == []


def test_the_conflict_page_escapes_both_versions(client, alice, hostile):
    signed_in(client, alice)
    data = {"title": "x", "slug": "hostile", "audience": "household", "tags": "", "review_days": 180}
    data.update(body="\n".join(CORPUS[:4]) + "\nmine", base_revision=1, keep_secrets="on")
    response = client.post("/runbooks/hostile/edit/", data)
    assert response.status_code == 409
    assert unsafe(response.content.decode()) == []


@pytest.mark.parametrize("tag", ["<script>", '"onmouseover=alert(1)', "javascript:alert(1)"])
def test_a_hostile_tag_is_refused_by_the_model(client, alice, tag):
    signed_in(client, alice)
    data = {"title": "T", "slug": "t", "audience": "household", "tags": tag, "body": "", "review_days": 180}
    response = client.post("/runbooks/new/?from=blank", data)
    assert "is not a tag" in response.content.decode() and not Runbook.objects.filter(slug="t").exists()
    assert unsafe(response.content.decode()) == []


@pytest.mark.parametrize("text", ["[" * 5000, "```" + " " * 10_000, "<b>" + "[" * 3000])
def test_a_body_that_would_take_markdown_seconds_is_shown_as_text_at_once(client, alice, text):
    import time

    signed_in(client, alice)
    started = time.monotonic()
    html = client.post("/runbooks/preview/", {"body": text}).content.decode()
    assert time.monotonic() - started < 1.0
    assert unsafe(html) == [] and "<b>" not in html
