"""Cost creep: the run rate against the last reviewed baseline (issue 14).

Contract for the rest of the ledger: every write service calls `after_change()`; the check
itself runs once the write has committed. (The check is being written.)"""

from __future__ import annotations


def after_change() -> None:
    """Called by every ledger write service (and by tokens.py after the nightly usage)."""
    return None
