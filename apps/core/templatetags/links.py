"""`{% load links %}` … `{% with href=service.runbook_url|safe_href %}{% if href %}<a href="{{ href }}">`:
a row saved before apps/core/links.py existed still cannot put script behind a link."""

from django import template

from apps.core import links

register = template.Library()
register.filter("safe_href", links.safe_href)
