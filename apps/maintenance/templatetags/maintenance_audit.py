"""The patch-drift table wherever a patch-review task is shown (its task page), without the
task views having to know about drift.py."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from apps.maintenance import drift

register = template.Library()


@register.inclusion_tag("maintenance/partials/drift.html")
def patch_drift() -> dict[str, Any]:
    return {"drift": drift.versions(now=timezone.now()), "stale_days": drift.STALE_AFTER.days}
