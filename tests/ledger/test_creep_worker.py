"""End to end through a real Celery worker: a ledger write calls after_change, the commit
queues `ledger.check_creep`, the worker opens the alert and `notify.deliver` posts it to a
real local webhook receiver, once."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from apps.ledger import creep, services
from apps.ledger.models import CreepAlert
from apps.notify.models import Channel, Delivery
from tests.fixtures.celery_worker import worker_and_beat
from tests.ledger.reports_setup import cost, review
from tests.notify.conftest import Receiver

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def test_a_change_queues_the_check_and_the_worker_alerts_through_the_channel(receiver, monkeypatch):
    monkeypatch.setenv("HOMEOPS_TEST_LEDGER_HOOK_URL", receiver.url("/hook"))
    Channel.objects.create(name="Hook", kind="webhook", url_env="HOMEOPS_TEST_LEDGER_HOOK_URL", events=["down", "cost"])
    item = cost("Netflix", "15.49")
    review("15.49")
    with worker_and_beat():
        # What every write service does: the write, then after_change (here outside any
        # transaction, so "after the commit" is at once).
        price = services.price_set(item, amount=Decimal("17.99"), since=item.start.replace(year=2026))
        creep.after_change()
        wait_for(lambda: len(receiver.at("/hook")) >= 1)
        wait_for(lambda: Delivery.objects.filter(ok=True).exists())
        time.sleep(1)  # a second message would have arrived by now
    assert [alert.key for alert in CreepAlert.objects.order_by("pk")] == ["growth", f"price:{price.pk}"]
    (posted,) = receiver.at("/hook")
    body = posted.json
    assert body["event"] == "cost" and body["title"] == "Costs crept up"
    assert "Netflix changed its price from 15.49 USD to 17.99 USD on 1 January 2026." in body["text"]
