"""The project's one Markdown renderer: `render(text)` returns safe HTML as a str the caller
wraps with `mark_safe`. Chat answers and messages, runbooks, handovers and maintenance notes
all come through here; `line_breaks=False` for documents (a runbook) where a line break inside
a paragraph is a space, as in any Markdown file, instead of a <br> as in a chat message.

Every input is untrusted (a model's answer, a member's message, an imported file), so:

- Raw HTML in the input is not markup: `<b>` shows up as the text "<b>" (escaped), never as a tag.
- The HTML Python-Markdown produces is then cleaned by nh3 with an explicit allowlist (`sanitize`),
  so a gap in the first step still cannot add scripts, handlers, styles or foreign URL schemes.
- Images are never rendered: `![alt](url)` becomes a link `<a href="url">alt</a>` (the URL as its
  text when alt is empty). An <img> would make every reader's browser fetch the URL on sight (a
  tracking and exfiltration channel for a prompt-injected model); a link fetches nothing until clicked.
- Links keep http, https and mailto URLs, and scheme-less ones (`/path`, `#part`, `//host`, which
  take the page's own scheme); they get rel="noopener noreferrer nofollow" and no target. A link
  whose URL is refused keeps its text but loses its href, so it is no longer a link.

HTML structure the chat templates and JavaScript rely on (tests/chat/test_markdown.py pins it):

- Every code block, fenced or indented, with or without a language, is
      <div class="highlight"><pre><span></span><code>...</code></pre></div>
  The copy button targets `.highlight pre` and copies its `code` element's textContent.
  With a known language (```python) the code holds Pygments' token spans (`<span class="k">`),
  styled by static/css/highlight.css; without one (or with an unknown one) it is plain escaped text.
- Inline code is a bare <code> inside the paragraph, never inside .highlight.

Cost: a 5,000-character answer with three code blocks takes about 10 ms, nearly all of it in
Python-Markdown. Its parser is quadratic on some hostile inputs (20,000 "[" took 96 s here,
upstream issue #798; 5,000 took 12 s; "```" and 10,000 spaces 11 s). Text past the limits below
(LENGTH_LIMIT, BRACKET_LIMIT, SPACES_LIMIT) is shown as escaped text with its line breaks
instead, at once: the limits sit where Markdown still takes well under a second.
"""

from __future__ import annotations

import xml.etree.ElementTree as etree
from collections.abc import Iterable
from typing import Any

import markdown
import nh3
from django.utils.html import escape, linebreaks
from markdown.extensions import Extension
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.treeprocessors import Treeprocessor
from pygments.token import STANDARD_TYPES

_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "codehilite"]
_EXTENSION_CONFIGS: dict[str, dict[str, Any]] = {
    "codehilite": {
        # Classes, not inline styles: nh3 drops style attributes and highlight.css themes the classes.
        "css_class": "highlight",
        "guess_lang": False,
        # Otherwise an indented block starting with "#!/..." gets a line-number table.
        "linenums": False,
    },
    # `align` instead of style="text-align: ...", so column alignment survives sanitizing.
    "tables": {"use_align_attribute": True},
}

TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "span", "div",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
TAG_ATTRIBUTE_VALUES = {cell: {"align": {"left", "center", "right"}} for cell in ("th", "td")}
# Pygments' short token classes ("k", "nf", "s2"...) plus "hll" for hl_lines; nothing else.
ALLOWED_CLASSES = {"div": {"highlight"}, "span": {name for name in STANDARD_TYPES.values() if name} | {"hll"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"


LENGTH_LIMIT = 60_000  # characters
BRACKET_LIMIT = 2_000  # "[" in all (a step list has one per step, a link one more)
SPACES_LIMIT = 2_000  # in a row


def too_costly(text: str) -> bool:
    """Would Markdown take seconds on this? (Then it is shown as plain text.)"""
    return len(text) > LENGTH_LIMIT or text.count("[") > BRACKET_LIMIT or " " * SPACES_LIMIT in text


def render(text: str, *, line_breaks: bool = True) -> str:
    if too_costly(text):
        return linebreaks(escape(text))
    # A fresh instance per call: Markdown objects keep state between conversions and are not
    # thread-safe. Building one costs well under a millisecond next to the conversion itself.
    extensions = [*_EXTENSIONS, "nl2br"] if line_breaks else list(_EXTENSIONS)
    md = markdown.Markdown(extensions=[*extensions, _OurRules()], extension_configs=_EXTENSION_CONFIGS)
    return sanitize(md.convert(text))


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags={"script", "style"},
        attributes=ATTRIBUTES,
        tag_attribute_values=TAG_ATTRIBUTE_VALUES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


class _OurRules(Extension):
    """Our changes to Python-Markdown's defaults; listed after fenced_code, which it adjusts."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Python-Markdown passes raw HTML blocks and inline tags through untouched;
        # with these two gone, they are ordinary text and get escaped.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        fenced = md.preprocessors["fenced_code_block"]
        # FencedBlockPreprocessor keeps the extension's config; types-Markdown's Preprocessor has no such field.
        md.preprocessors.register(_FencedBlock(md, fenced.config), "fenced_code_block", 25)  # type: ignore[attr-defined]
        # After "inline" (20), which creates the <img> elements.
        md.treeprocessors.register(_ImagesAsLinks(md), "images_as_links", 15)


class _FencedBlock(FencedBlockPreprocessor):
    def handle_attrs(self, attrs: Iterable[tuple[str, str | None]]) -> tuple[str, list[str], dict[str, Any]]:
        # A fence's {...} keys go to Pygments as lexer and formatter options (pygments_formatter,
        # encoding, noclasses, use_pygments...), which would let a message change the output's
        # type or structure. Keep the language and hl_lines only.
        # Python-Markdown's own signature takes str | None values; types-Markdown's says str.
        _id, classes, config = super().handle_attrs(attrs)  # type: ignore[arg-type]
        return "", classes[:1], {key: value for key, value in config.items() if key == "hl_lines"}


class _ImagesAsLinks(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        # An image inside a link ([![badge](b.svg)](https://ci.example)) keeps only its text:
        # a link inside a link is not valid HTML and the parser would split them.
        in_links = {id(img) for a in root.iter("a") for img in a.iter("img")}
        for el in list(root.iter("img")):
            src, title = el.get("src", ""), el.get("title")
            text = el.get("alt") or src
            el.attrib.clear()
            if id(el) in in_links:
                el.tag = "span"
            else:
                el.tag = "a"
                el.set("href", src)
                if title is not None:
                    el.set("title", title)
            el.text = text
