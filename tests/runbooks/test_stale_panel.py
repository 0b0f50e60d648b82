"""The owner's dashboard names the stale runbooks; it says nothing while all are fresh, and
nobody else sees it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.runbooks import services
from apps.runbooks.models import Audience, Runbook
from tests.conftest import signed_in
from tests.runbooks.conftest import make_runbook


def test_the_owners_dashboard_lists_stale_runbooks(client, alice, bob):
    fresh = make_runbook("fresh", title="Fresh one")
    old = make_runbook("old", title="Old one", audience=Audience.CARETAKER)
    assert 'id="runbooks-stale"' not in signed_in(client, alice).get("/").content.decode()
    Runbook.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=365))
    Runbook.objects.filter(pk=fresh.pk).update(
        created=timezone.now() - timedelta(days=365), last_exercised=timezone.now() - timedelta(days=3)
    )
    html = client.get("/").content.decode()
    assert 'id="runbooks-stale"' in html and "Old one" in html and "Fresh one" not in html
    assert 'id="runbooks-stale"' not in signed_in(client, bob).get("/").content.decode()
    services.runbook_mark_reviewed(Runbook.objects.get(pk=old.pk))
    assert 'id="runbooks-stale"' not in signed_in(client, alice).get("/").content.decode()


def test_stale_means_neither_reviewed_nor_exercised_within_the_interval(db):
    now = timezone.now()
    runbook = Runbook(review_days=30, created=now - timedelta(days=100))
    assert runbook.is_stale(now) and "since it was written 100 days ago" in runbook.stale_reason(now)
    runbook.last_reviewed = now - timedelta(days=31)
    assert runbook.is_stale(now) and "for 31 days" in runbook.stale_reason(now)
    runbook.last_exercised = now - timedelta(days=29)
    assert not runbook.is_stale(now) and runbook.stale_reason(now) == ""
