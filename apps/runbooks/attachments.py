"""Attachments: pictures and files a runbook shows, checked by content and size, served only
to members who may read the runbook."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.runbooks.models import Runbook


def page_context(runbook: Runbook, request: HttpRequest) -> dict[str, Any]:
    """What the runbook's page shows of its attachments (templates/runbooks/partials/attachments.html)."""
    return {}
