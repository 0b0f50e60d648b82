"""The example handover's key runbooks. The configuration file loads the handover before the
example runbooks exist (apps/runbooks/examples.py), so bootstrap links them afterwards."""

from __future__ import annotations

from apps.handover import services
from apps.handover.models import Handover, IfThen
from apps.runbooks.models import Runbook

KEY_RUNBOOKS = ["ups-on-battery", "chat-is-down", "restart-ollama", "nas-full", "restore-from-snapshot"]
# An "if this happens" row -> the runbook that says how (matched by the row's first words).
ROW_RUNBOOKS = {"The chat says": "chat-is-down", "The power goes out": "ups-on-battery"}


def link_runbooks(title: str = "Christmas 2026") -> bool:
    """Idempotent: a handover that has key runbooks already is left alone. True when linked."""
    handover = Handover.objects.filter(title=title).first()
    if handover is None or handover.key_runbooks.exists():
        return False
    found = {r.slug: r for r in Runbook.objects.filter(slug__in=KEY_RUNBOOKS + list(ROW_RUNBOOKS.values()))}
    services.handover_save(handover, runbooks=[found[slug] for slug in KEY_RUNBOOKS if slug in found])
    for row in IfThen.objects.filter(handover=handover, runbook=None):
        slug = next((slug for start, slug in ROW_RUNBOOKS.items() if row.when.startswith(start)), None)
        if slug in found:
            IfThen.objects.filter(pk=row.pk).update(runbook=found[slug])
    return True
