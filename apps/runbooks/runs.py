"""Run-throughs: start a run pinned to a revision, tick steps, finish with an outcome."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.runbooks.models import Runbook


def page_context(runbook: Runbook, request: HttpRequest) -> dict[str, Any]:
    """What the runbook's page shows of its runs (templates/runbooks/partials/runs.html)."""
    return {}
