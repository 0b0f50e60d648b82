"""The addresses of run-throughs and attachments; the runbook pages' own are in urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
