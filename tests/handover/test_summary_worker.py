"""When a handover ends, a real Celery beat and worker send the owner its summary once:
through the alert channels (a webhook here) and by email, whatever the number of beats."""

from __future__ import annotations

import time
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.conf import settings
from django.utils import timezone

from apps.handover import services
from apps.handover.models import Handover
from apps.notify.models import Delivery
from apps.runbooks.models import Run
from apps.status.models import Flip, Kind, Service, State
from tests.fixtures.celery_worker import worker_and_beat
from tests.handover.conftest import make_runbook
from tests.notify.test_secrets_in_logs import send_to_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_summary_is_sent_once_by_the_worker_when_the_handover_ends(
    alice,
    charlie,
    make_handover,
    receiver,
    make_channel,
    mailbox,
):
    now = timezone.now()
    ups = make_runbook("ups", "The UPS is on battery")
    handover = make_handover(
        title="Christmas", starts=now - timedelta(days=3), ends=now + timedelta(seconds=3), caretakers=[charlie]
    )
    run = Run.objects.create(runbook=ups, revision=ups.revisions.get(), started_by=charlie, outcome="partly")
    Run.objects.filter(pk=run.pk).update(started=now - timedelta(days=1), note="The UPS beeped twice.")
    services.note_add(handover=handover, author=charlie, text="Watered the plants.")
    nas = Service.objects.create(name="nas", label="NAS", kind=Kind.TCP, check_config={"host": "x", "port": 1})
    # An incident during the stay, already alerted on (notify has dealt with it).
    Flip.objects.create(
        service=nas, created=now - timedelta(days=2), old=State.UP, new=State.DOWN, reason="refused", processed=now
    )
    make_channel("Hook", "webhook", url=receiver.url("/hook"))
    # The worker's own settings come from its environment: the mailbox fixture's SMTP server.
    email = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(settings.EMAIL_PORT), "EMAIL_USE_TLS": "false"}

    with worker_and_beat(HOMEOPS_HANDOVER_SUMMARY_SECONDS="1", **email):
        time.sleep(1)
        assert Handover.objects.get().summary_sent_at is None  # not before it ends
        wait_for(lambda: len(receiver.at("/hook")) >= 1 and len(mailbox.messages) >= 1, seconds=60)
        for _ in range(3):  # a retried or duplicated task changes nothing
            send_to_worker("handover.send_summaries")
        time.sleep(4)  # several more beats

    assert len(receiver.at("/hook")) == 1
    assert len(mailbox.messages) == 1
    assert Handover.objects.get().summary_sent_at is not None
    delivery = Delivery.objects.get()
    assert delivery.ok and delivery.kind == "summary"
    body = receiver.at("/hook")[0].text
    assert "Christmas" in body and "The UPS is on battery: It partly worked (The UPS beeped twice.)" in body
    mail = mailbox.messages[0]
    assert mail["To"] == "alice@example.com"
    assert "Handover “Christmas” has ended" in str(make_header(decode_header(mail["Subject"])))
    text = mail.get_payload(decode=True).decode()
    for words in (
        "Watered the plants.",
        "NAS went down: refused.",
        "Back to normal:",
        "- [ ] Take back the spare keys",
    ):
        assert words in text
