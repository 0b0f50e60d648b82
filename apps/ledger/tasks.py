"""Thin tasks: beat runs `ledger.count_tokens` every morning (homeops/settings.py)."""

from __future__ import annotations

from celery import shared_task

from apps.ledger import tokens


# At most tokens.CATCH_UP_DAYS aggregate queries over the audit log, a few writes each.
@shared_task(name="ledger.count_tokens", time_limit=300, soft_time_limit=280, ignore_result=True)
def count_tokens() -> int:
    return len(tokens.count_since_last())
