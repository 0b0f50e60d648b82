"""Placeholder until the Markdown renderer lands: escaped text with line breaks."""

from django.utils.html import escape, linebreaks


def render(text: str) -> str:
    return linebreaks(escape(text))
