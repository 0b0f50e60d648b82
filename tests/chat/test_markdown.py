"""Chat Markdown: what renders, the code-block structure the copy buttons rely on, and an XSS corpus
run through render() and, for defence in depth, through the nh3 step alone."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from apps.core.markdown import render, sanitize

REL = 'rel="noopener noreferrer nofollow"'


class _Elements(HTMLParser):
    """The elements a browser would build, with their decoded attribute values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.found


def scheme(url: str) -> str:
    # What a browser's URL parser does first: trim C0 controls and spaces, drop tabs and newlines.
    url = re.sub(r"[\t\n\r]", "", url.strip("".join(map(chr, range(0x21)))))
    return urlsplit(url).scheme.lower()


FORBIDDEN_TAGS = ("script", "svg", "math", "iframe", "object", "embed", "img", "style", "form", "input", "details")


def assert_safe(html: str) -> None:
    lowered = html.lower()
    # Text can never hold a raw "<" (it is escaped), so a plain search for the tag is exact.
    for tag in FORBIDDEN_TAGS:
        assert f"<{tag}" not in lowered, tag
    for tag, attrs in elements(html):
        assert tag not in FORBIDDEN_TAGS
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in {"style", "src", "srcdoc", "target", "formaction", "xlink:href"}, (tag, name)
            if name == "href":
                assert scheme(value or "") in {"", "http", "https", "mailto"}, value


XSS = [
    pytest.param("<script>alert(1)</script>", id="script-tag"),
    pytest.param("[x](javascript:alert(1))", id="javascript-link"),
    pytest.param("[x](JaVaScRiPt:alert(1))", id="mixed-case-javascript"),
    pytest.param("[x]( javascript:alert(1))", id="leading-space-javascript"),
    pytest.param("[x](jav&#x09;ascript:alert(1))", id="tab-entity-javascript"),
    pytest.param("[x](&#106;avascript:alert(1))", id="decimal-entity-javascript"),
    pytest.param("[x](vbscript:msgbox(1))", id="vbscript-link"),
    pytest.param("[x][r]\n\n[r]: javascript:alert(1)", id="javascript-reference-link"),
    pytest.param('<a href="javascript:alert(1)">x</a>', id="raw-javascript-anchor"),
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param("<svg onload=alert(1)>", id="svg-onload"),
    pytest.param("<svg><script>alert(1)</script></svg>", id="svg-script"),
    pytest.param("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", id="data-uri-link"),
    pytest.param("![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", id="data-uri-image"),
    pytest.param("![x](https://tracker.example/p.png)", id="remote-image"),
    pytest.param('<iframe src="https://example.com">', id="iframe"),
    pytest.param('<object data="https://example.com/x.swf"></object><embed src="x.swf">', id="object-embed"),
    pytest.param('<div style="background:url(javascript:alert(1))">', id="style-attribute"),
    pytest.param("<style>body{display:none}</style>", id="style-tag"),
    pytest.param('<form action="https://evil.example"><input name="password"></form>', id="form-input"),
    pytest.param("<details open ontoggle=alert(1)>", id="details-ontoggle"),
    pytest.param('[x](https://a.example "a\\" onmouseover=\\"alert(1)")', id="link-title-quotes"),
    pytest.param("&lt;script&gt;alert(1)&lt;/script&gt; &#60;img src=x onerror=alert(1)&#62;", id="html-entities"),
    pytest.param("```\n<script>alert(1)</script>\n```", id="code-block-script"),
    pytest.param("```html\n<script>alert(1)</script>\n```", id="highlighted-code-block-script"),
    pytest.param("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", id="mutation-xss"),
    pytest.param('<a href="https://ok.example" onclick="alert(1)">ok</a>', id="anchor-onclick"),
    pytest.param("<javascript:alert(1)>", id="javascript-autolink"),
    pytest.param("<!-- <script>alert(1)</script> -->", id="comment"),
    pytest.param("```{.python noclasses=true}\nx = 1\n```", id="fence-inline-styles"),
]


@pytest.mark.parametrize("convert", [render, sanitize], ids=["render", "sanitize"])
@pytest.mark.parametrize("text", XSS)
def test_it_outputs_nothing_executable(convert, text: str) -> None:
    assert_safe(convert(text))


# --- What members see of a hostile message -------------------------------------------------


def test_it_shows_raw_html_as_text() -> None:
    assert render("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert "&lt;img src=x onerror=alert(1)&gt;" in render("<img src=x onerror=alert(1)>")
    assert "&lt;a href=" in render('<a href="https://ok.example" onclick="alert(1)">ok</a>')


def test_it_shows_a_script_in_a_code_block_as_code() -> None:
    html = render("```\n<script>alert(1)</script>\n```")
    assert re.search(r"<pre>.*<code>&lt;script&gt;alert\(1\)&lt;/script&gt;\s*</code></pre>", html, re.S)


def test_it_keeps_entities_as_text() -> None:
    html = render("&lt;script&gt; and &#60;b&#62; and AT&amp;T")
    assert html == "<p>&lt;script&gt; and &lt;b&gt; and AT&amp;T</p>"


def test_it_keeps_the_text_of_a_link_it_disarms() -> None:
    assert render("[click me](javascript:alert(1))") == f"<p><a {REL}>click me</a></p>"


def test_it_renders_an_image_as_a_link_to_it() -> None:
    # Nothing is fetched until a member chooses to follow the link.
    html = render('![a chart](https://tracker.example/p.png "Usage")')
    assert html == f'<p><a href="https://tracker.example/p.png" title="Usage" {REL}>a chart</a></p>'
    # Without alt text, the URL is the link's text.
    assert render("![](https://x.example/p)") == f'<p><a href="https://x.example/p" {REL}>https://x.example/p</a></p>'


def test_it_keeps_only_the_text_of_an_image_inside_a_link() -> None:
    html = render("[![build](https://ci.example/b.svg)](https://ci.example)")
    assert html == f'<p><a href="https://ci.example" {REL}><span>build</span></a></p>'


@pytest.mark.parametrize("url", ["ftp://files.example/a", "file:///etc/passwd", "ssh://host", "tel:+1555", "magnet:?x"])
def test_it_allows_no_scheme_beyond_http_https_and_mailto(url: str) -> None:
    # nh3's default list would keep these; a chat answer has no business opening other apps.
    assert render(f"[x]({url})") == f"<p><a {REL}>x</a></p>"


def test_it_drops_a_data_uri_image_to_its_alt_text() -> None:
    assert render("![x](data:image/png;base64,iVBORw0KGgo=)") == f"<p><a {REL}>x</a></p>"


def test_it_quotes_a_hostile_link_title() -> None:
    html = render('[x](https://a.example "a\\" onmouseover=\\"alert(1)")')
    [(tag, attrs)] = elements(html)[1:]
    assert tag == "a"
    assert set(attrs) == {"href", "title", "rel"}
    assert "onmouseover" in attrs["title"]


# --- The nh3 step on its own (it must hold even if raw HTML ever reached it) ----------------


def test_sanitize_keeps_a_safe_link_and_drops_its_handler() -> None:
    html = sanitize('<a href="https://ok.example" onclick="alert(1)">ok</a>')
    assert html == f'<a href="https://ok.example" {REL}>ok</a>'


def test_sanitize_drops_a_target_and_sets_its_own_rel() -> None:
    html = sanitize('<a href="https://ok.example" target="_blank" rel="opener">ok</a>')
    assert html == f'<a href="https://ok.example" {REL}>ok</a>'


def test_sanitize_keeps_only_highlighting_classes() -> None:
    html = sanitize('<div class="highlight evil"><pre><span class="k nav-hidden">def</span></pre></div>')
    assert html == '<div class="highlight"><pre><span class="k">def</span></pre></div>'


def test_sanitize_removes_script_content() -> None:
    assert sanitize("a<script>alert(1)</script>b") == "ab"


# --- Ordinary Markdown -----------------------------------------------------------------------


def test_it_renders_emphasis_and_inline_code() -> None:
    html = render("*one* **two** `x < y`")
    assert html == "<p><em>one</em> <strong>two</strong> <code>x &lt; y</code></p>"


def test_it_turns_single_newlines_into_line_breaks() -> None:
    assert render("first\nsecond") == "<p>first<br>\nsecond</p>"


def test_it_renders_lists() -> None:
    assert render("- a\n- b") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
    assert render("3. c\n4. d").startswith('<ol start="3">\n<li>c</li>')


def test_it_renders_tables_with_alignment() -> None:
    html = render("| name | count |\n|:-----|------:|\n| tea | 2 |")
    assert '<table>\n<thead>\n<tr>\n<th align="left">name</th>\n<th align="right">count</th>' in html
    assert '<td align="left">tea</td>\n<td align="right">2</td>' in html


def test_it_renders_headings_quotes_and_rules() -> None:
    html = render("## Plan\n\n> quoted\n\n---")
    assert html == "<h2>Plan</h2>\n<blockquote>\n<p>quoted</p>\n</blockquote>\n<hr>"


def test_it_keeps_a_normal_link() -> None:
    html = render("[docs](https://docs.example/a?b=1&c=2)")
    assert html == f'<p><a href="https://docs.example/a?b=1&amp;c=2" {REL}>docs</a></p>'
    assert render("<https://ok.example>") == f'<p><a href="https://ok.example" {REL}>https://ok.example</a></p>'
    assert 'href="mailto:' in render("<me@example.com>")


def test_it_returns_a_plain_str() -> None:
    assert type(render("hi")) is str
    assert render("") == ""


# --- Code blocks: highlighting and the structure the copy buttons target ----------------------

CODE_BLOCK = re.compile(r'<div class="highlight"><pre><span></span><code>(.*?)</code></pre></div>', re.S)


def test_it_highlights_a_fenced_block_with_a_language() -> None:
    html = render("```python\ndef f():\n    return 1\n```")
    [code] = CODE_BLOCK.findall(html)
    assert '<span class="k">def</span>' in code
    assert '<span class="nf">f</span>' in code
    assert "style=" not in html


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("```\ndef f(): pass\n```", id="fenced-without-language"),
        pytest.param("```nosuchlanguage\ndef f(): pass\n```", id="fenced-unknown-language"),
        pytest.param("    def f(): pass", id="indented"),
    ],
)
def test_it_leaves_a_block_without_a_known_language_plain(text: str) -> None:
    assert render(text) == '<div class="highlight"><pre><span></span><code>def f(): pass\n</code></pre></div>'


def test_it_gives_every_code_block_the_same_wrapper() -> None:
    html = render("Two ways:\n\n```python\nx = 1\n```\n\nor\n\n```\ny = 2\n```\n\nand `inline`.")
    assert len(CODE_BLOCK.findall(html)) == 2
    assert html.count("<pre>") == 2
    assert "<p>and <code>inline</code>.</p>" in html


def test_it_does_not_add_line_numbers_to_a_shebang_block() -> None:
    html = render("    #!/usr/bin/env python\n    print(1)")
    assert len(CODE_BLOCK.findall(html)) == 1
    assert "<table" not in html
    assert "linenos" not in html


def test_it_highlights_requested_lines() -> None:
    html = render('```python hl_lines="2"\nx = 1\ny = 2\n```')
    assert '<span class="hll">' in html


@pytest.mark.parametrize(
    "options",
    [
        "noclasses=true",  # inline styles
        "encoding=utf-8",  # Pygments returns bytes: the block would show as b'...'
        "pygments_formatter=svg linenos=inline",  # another formatter; a bad option value raised
        "lineanchors=x anchorlinenos=true",  # anchors inside the code
        "use_pygments=false",  # a different structure
        "#some-id .extra-class",
    ],
)
def test_it_ignores_formatter_options_in_a_fence(options: str) -> None:
    html = render(f"```{{.python {options}}}\nx = 1\n```")
    assert html == render("```python\nx = 1\n```")
