"""Writes for alerts: claim flips, decide who hears what, deliver with retries, test a channel.

The task `notify.send_alerts` calls `alerts_collect` and hands each (channel, event) to its own
`notify.deliver` task, so a slow or failing channel never holds up the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apps.notify import events
from apps.notify.events import Event
from apps.notify.models import TEST, Channel, Delivery, EventKind, HeldAlert, ReminderMark
from apps.notify.transports import TransportError, transport_for
from apps.status.models import Criticality, Flip, Service, State

log = logging.getLogger(__name__)
BATCH = 500
BACKOFF = (5.0, 30.0)  # seconds before the 2nd and 3rd attempts; tasks.deliver's time limit allows them


@dataclass(frozen=True)
class Planned:
    channel_id: int
    event: Event


# --- claiming ------------------------------------------------------------------------------


def flips_claim(*, now: datetime, limit: int = BATCH) -> list[Flip]:
    """Unprocessed flips this run owns: a conditional UPDATE per flip, kept only when one row
    changed, so two beats, a retried task or two workers never send the same alert twice."""
    pending = Flip.objects.filter(processed=None).order_by("created", "pk").values_list("pk", flat=True)[:limit]
    claimed = [pk for pk in pending if Flip.objects.filter(pk=pk, processed=None).update(processed=now) == 1]
    return list(Flip.objects.filter(pk__in=claimed).select_related("service", "cause").order_by("created", "pk"))


# --- who hears what ------------------------------------------------------------------------


def alerts_collect(*, now: datetime | None = None) -> list[Planned]:
    """Claim new flips and decide every (channel, event) to send now; hold back non-critical
    alerts during a channel's quiet hours, release them as one digest afterwards, and add
    the reminders that are due."""
    now = now or timezone.now()
    batch = events.from_flips(flips_claim(now=now), now=now)
    channels = list(Channel.objects.filter(enabled=True))
    planned: list[Planned] = []
    for channel in channels:
        transport = transport_for(channel)
        quiet = channel.in_quiet_hours(now)
        if not quiet:
            planned.extend(_release_held(channel, now=now))
        for event in batch:
            if transport.is_noop(event):
                continue
            if quiet and not event.critical:
                HeldAlert.objects.create(channel=channel, created=now, kind=event.kind, text=event.text[:1000])
                continue
            planned.append(Planned(channel.pk, event))
            if event.kind == EventKind.DOWN and event.state == State.DOWN and channel.reminder_minutes:
                # The first reminder counts from this alert.
                ReminderMark.objects.update_or_create(
                    channel=channel, service_id=event.service_id, defaults={"last_at": now}
                )
        planned.extend(_reminders(channel, now=now, quiet=quiet))
    return planned


def for_channels(event: Event, *, now: datetime) -> list[Planned]:
    """One event for every enabled channel that wants it (maintenance reminders always; cost
    creep when subscribed): a channel in its quiet hours holds it for its digest instead
    (_release_held)."""
    planned = []
    for channel in Channel.objects.filter(enabled=True):
        if transport_for(channel).is_noop(event):
            continue
        if channel.in_quiet_hours(now):
            HeldAlert.objects.create(channel=channel, created=now, kind=event.kind, text=event.text[:1000])
        else:
            planned.append(Planned(channel.pk, event))
    return planned


def _release_held(channel: Channel, *, now: datetime) -> list[Planned]:
    texts = []
    for held in HeldAlert.objects.filter(channel=channel):
        if HeldAlert.objects.filter(pk=held.pk).delete()[0] == 1:  # claimed by this run
            texts.append(held.text)
    return [Planned(channel.pk, events.digest(texts, now=now))] if texts else []


def _reminders(channel: Channel, *, now: datetime, quiet: bool) -> list[Planned]:
    if not channel.reminder_minutes or not channel.wants(EventKind.DOWN):
        return []
    due = now - timedelta(minutes=channel.reminder_minutes)
    planned = []
    down = Service.objects.filter(state=State.DOWN, enabled=True, state_since__lte=due).exclude(muted_until__gt=now)
    for service in down:
        if quiet and service.criticality != Criticality.CRITICAL:
            continue
        mark, _ = ReminderMark.objects.get_or_create(
            channel=channel, service=service, defaults={"last_at": service.state_since}
        )
        if ReminderMark.objects.filter(pk=mark.pk, last_at__lte=due).update(last_at=now) == 1:
            planned.append(Planned(channel.pk, events.reminder(service, now=now)))
    return planned


# --- delivery ------------------------------------------------------------------------------


def delivery_attempt(
    *, channel_id: int, event: Event, attempt: int = 1, backoff: tuple[float, ...] | None = None
) -> tuple[Delivery | None, float | None]:
    """One attempt to send one event through one channel, logged as one Delivery row. Returns
    the row and, when a retry may help (5xx, 429, timeouts), the seconds to wait before the
    next attempt; a permanent error turns the channel off. Duplicates are prevented upstream,
    where flips are claimed, not here."""
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None or (not channel.enabled and event.kind != TEST):
        return None, None
    transport = transport_for(channel)
    if transport.is_noop(event):
        return None, None
    backoff = BACKOFF if backoff is None else backoff
    delivery = Delivery(
        channel=channel, service_id=event.service_id, kind=event.kind, summary=event.text[:500], attempt=attempt
    )
    try:
        transport.notify(event)
    except TransportError as exc:
        delivery.error = transport.scrub(exc.message)[:2000]
        delivery.save()
        log.warning("Alert via %s failed (attempt %d): %s", channel.name, attempt, delivery.error)
        if exc.permanent:
            channel_disable(channel=channel, reason=delivery.error)
            return delivery, None
        return delivery, (backoff[attempt - 1] if attempt <= len(backoff) else None)
    delivery.ok = True
    delivery.save()
    return delivery, None


def delivery_send(
    *,
    channel_id: int,
    event: Event,
    backoff: tuple[float, ...] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery | None:
    """Every attempt in this process, waiting in between (tests and the send-test button).
    The Celery task `notify.deliver` re-queues itself with a countdown instead of sleeping,
    so a failing channel never holds a worker that polling rounds need."""
    attempt = 1
    while True:
        delivery, wait = delivery_attempt(channel_id=channel_id, event=event, attempt=attempt, backoff=backoff)
        if wait is None:
            return delivery
        sleep(wait)
        attempt += 1


def deliver_all(planned: list[Planned], *, backoff: tuple[float, ...] | None = None) -> list[Delivery | None]:
    """Deliver in this process, one after the other (the `send_alerts_now` path and tests);
    each channel's failure stays its own."""
    return [delivery_send(channel_id=p.channel_id, event=p.event, backoff=backoff) for p in planned]


def channel_disable(*, channel: Channel, reason: str) -> None:
    channel.enabled = False
    reason = reason.rstrip(".")[:250]
    channel.disabled_reason = f"Turned off {timezone.localtime():%d %b %H:%M}: {reason}."
    Channel.objects.filter(pk=channel.pk).update(enabled=False, disabled_reason=channel.disabled_reason)
    log.warning("Alert channel %s turned off: %s", channel.name, reason)


def channel_save(channel: Channel, fields: list[str] | None = None) -> Channel:
    """Validate by the channel's own rules and save (only `fields` when given), from the
    Settings page and the config file alike. A channel saved switched on no longer carries
    the reason it was turned off."""
    if channel.enabled and channel.disabled_reason:
        channel.disabled_reason = ""
        if fields is not None:
            fields = [*fields, "disabled_reason"]
    channel.full_clean()
    channel.save(update_fields=fields)
    return channel


def channel_delete(channel: Channel) -> None:
    """The channel and its delivery log, held alerts and reminder marks."""
    channel.delete()


def channel_test(*, channel: Channel) -> tuple[bool, str]:
    """Send a test message once, now; the outcome in plain words for the page."""
    event = events.test_event(now=timezone.now(), household=settings.HOUSEHOLD_NAME)
    delivery = delivery_send(channel_id=channel.pk, event=event, backoff=())
    if delivery is None:
        return False, "Nothing was sent."
    if delivery.ok:
        return True, f"Sent. Check {channel.name} for the test message."
    channel.refresh_from_db()
    tail = " The channel is now off; fix it, then edit it and turn it on." if not channel.enabled else ""
    return False, f"Not sent: {delivery.error}.{tail}"


def last_deliveries(channels: list[Channel]) -> dict[int, Delivery]:
    out: dict[int, Delivery] = {}
    for channel in channels:
        latest = Delivery.objects.filter(channel=channel).first()
        if latest:
            out[channel.pk] = latest
    return out
