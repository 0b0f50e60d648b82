"""Cost creep: the run rate against the newest review's baseline (strictly more than the
threshold), new recurring items and price changes since that review, each alerting once;
"mark reviewed" and a review close the alerts; after_change queues one check per commit."""

from __future__ import annotations

import importlib.util
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.utils import timezone

import homeops.settings as django_settings_module
from apps.ledger import creep, reviews, services
from apps.ledger.models import Category, CostItem, CreepAlert, Kind, LedgerSettings, Period, Review
from apps.notify.forms import ChannelForm
from apps.notify.models import COST, Channel, all_events
from tests.ledger.reports_setup import cost, review

pytestmark = pytest.mark.django_db


def day(moment) -> str:
    return f"{timezone.localtime(moment):%-d %B %Y}"


@pytest.mark.parametrize(
    ("run_rate", "baseline", "percent", "grew"),
    [
        ("109.99", "100", "10", False),  # 9.99%
        ("110.00", "100", "10", False),  # exactly 10%: not more
        ("110.01", "100", "10", True),  # 10.01%
        ("68.31", "62.10", "10", False),  # 62.10 x 1.1 = 68.31 exactly
        ("68.3101", "62.10", "10", True),
        ("105.00", "100", "5", False),
        ("105.01", "100", "5", True),
        ("100.01", "100", "0.01", False),  # the smallest threshold, met exactly
        ("100.0101", "100", "0.01", True),
        ("0.01", "0", "10", True),  # from nothing, any cost is growth
        ("0", "0", "10", False),
        ("90", "100", "10", False),  # cheaper is never creep
    ],
)
def test_growth_is_strictly_more_than_the_threshold(run_rate, baseline, percent, grew):
    assert creep.grew(Decimal(run_rate), Decimal(baseline), Decimal(percent)) is grew


@pytest.mark.parametrize(
    ("amount", "period", "percent", "alerts", "message"),
    [
        ("109.99", Period.MONTHLY, None, False, ""),
        ("110", Period.MONTHLY, None, False, ""),
        ("110.01", Period.MONTHLY, None, True, "The run rate is 110.01, up 10.01 (10.01%) from 100.00"),
        ("330", Period.QUARTERLY, None, False, ""),  # a third: 110
        ("330.03", Period.QUARTERLY, None, True, "The run rate is 110.01, up 10.01 (10.01%) from 100.00"),
        ("1320.12", Period.YEARLY, None, True, "The run rate is 110.01, up 10.01 (10.01%) from 100.00"),
        ("105", Period.MONTHLY, "5", False, ""),
        ("105.01", Period.MONTHLY, "5", True, "The run rate is 105.01, up 5.01 (5.01%) from 100.00"),
        ("125", Period.MONTHLY, "25", False, ""),
        ("125.0050", Period.MONTHLY, "25", True, "The run rate is 125.01, up 25.01 (25.01%) from 100.00"),
    ],
)
def test_the_check_alerts_on_growth_over_the_baseline(amount, period, percent, alerts, message):
    if percent:
        LedgerSettings.objects.update_or_create(pk=1, defaults={"creep_percent": Decimal(percent)})
    cost("Everything", amount, period=period)
    last = review("100.00")  # after the item and its price: neither is new
    opened = creep.check()
    assert [alert.reason for alert in opened] == (["growth"] if alerts else [])
    if alerts:
        alert = opened[0]
        assert alert.message == f"{message} at the review of {day(last.created)}."
        assert (alert.key, alert.baseline, alert.reviewed) == ("growth", Decimal("100.0000"), None)


def test_the_growth_message_rounds_the_odd_cent_half_up():
    cost("Everything", "125.0050")  # 125.005 -> 125.01
    review("100.00")
    (alert,) = creep.check()
    assert alert.run_rate == Decimal("125.0050")
    assert alert.message.startswith("The run rate is 125.01, up 25.01 (25.01%)")


def test_without_a_review_there_is_no_baseline_and_no_alert():
    cost("Everything", "500")
    cost("Another", "20")
    assert creep.check() == [] and not CreepAlert.objects.exists()


def test_a_new_recurring_item_alerts_once_and_other_kinds_do_not():
    cost("Mac Studio", "2400", kind=Kind.ONE_OFF, category=Category.HARDWARE, life_months=60)  # 40 a month
    cost("Domain", "60", period=Period.YEARLY, category=Category.DOMAIN)  # 5 a month
    last = review("45.00")
    backblaze = cost("Backblaze B2", "2", start=date(2025, 6, 1))
    cost("SSD", "60", kind=Kind.ONE_OFF, category=Category.HARDWARE, life_months=60)  # bought: not creep
    cost("OpenRouter", "0", kind=Kind.USAGE, category=Category.CLOUD_API)
    opened = creep.check()
    assert [(alert.reason, alert.key) for alert in opened] == [("new_item", f"new_item:{backblaze.pk}")]
    when = day(last.created)
    assert opened[0].message == f"New recurring cost since the review of {when}: Backblaze B2 (2.00 a month)."
    assert creep.check() == []  # once
    assert CreepAlert.objects.count() == 1


def test_a_price_change_alerts_once_but_a_new_items_first_price_does_not():
    netflix = cost("Netflix", "15.49")
    review("15.49")
    change = services.price_set(netflix, amount=Decimal("16.49"), since=date(2026, 1, 1))
    cost("Proton", "4.99", start=date(2026, 2, 1))  # new item: its first price is no price change
    proton = CostItem.objects.get(name="Proton")
    opened = creep.check()
    # 15.49 -> 21.48 (16.49 + 4.99) is 38.67% more: growth as well.
    assert [alert.key for alert in opened] == ["growth", f"new_item:{proton.pk}", f"price:{change.pk}"]
    assert opened[2].message == "Netflix changed its price from 15.49 USD to 16.49 USD on 1 January 2026."
    assert opened[0].message.startswith("The run rate is 21.48, up 5.99 (38.67%) from 15.49")
    assert creep.check() == []


def test_growth_alerts_once_and_keeps_its_message_current():
    item = cost("Everything", "120")
    review("100.00")
    (first,) = creep.check()
    services.price_set(item, amount=Decimal("130"), since=timezone.localdate())
    again = creep.check()
    assert [alert.reason for alert in again] == ["price_change"]  # the growth alert is open already
    first.refresh_from_db()
    assert first.message.startswith("The run rate is 130.00, up 30.00 (30.00%)")
    assert CreepAlert.objects.filter(reason="growth").count() == 1


def test_mark_reviewed_closes_the_alerts_and_sets_the_baseline(alice):
    cost("Everything", "100")
    review("50")
    cost("Backblaze B2", "6")
    assert len(creep.check()) == 2  # growth and the new item
    acknowledged = reviews.creep_acknowledge(by=alice)
    assert acknowledged is not None
    assert (acknowledged.kind, acknowledged.baseline, acknowledged.by) == ("acknowledged", Decimal("106"), alice)
    assert not CreepAlert.objects.filter(reviewed=None).exists()
    assert creep.check() == []  # nothing new since this review
    assert reviews.creep_acknowledge(by=alice) is None  # a second click records nothing
    assert Review.objects.count() == 2


def test_an_ended_item_is_no_creep():
    item = cost("Netflix", "15.49")
    cost("Proton", "4.99")
    review("20.48")
    services.item_end(item, end=timezone.localdate() - timedelta(days=40))
    assert creep.check() == []


def test_new_alerts_go_as_one_message_only_to_channels_that_subscribe_to_cost(monkeypatch):
    monkeypatch.setenv("HOMEOPS_TEST_HOOK_URL", "http://127.0.0.1:9/hook")
    hook = Channel.objects.create(name="Hook", kind="webhook", url_env="HOMEOPS_TEST_HOOK_URL", events=["cost"])
    Channel.objects.create(name="Off", kind="webhook", url_env="HOMEOPS_TEST_HOOK_URL", enabled=False, events=["cost"])
    # The caretaker's and the family's outage channels: their events say nothing of cost.
    Channel.objects.create(name="Family", kind="webhook", url_env="HOMEOPS_TEST_HOOK_URL", events=["down"])
    Channel.objects.create(name="Caretaker", kind="webhook", url_env="HOMEOPS_TEST_HOOK_URL")
    cost("Everything", "100")
    review("100")
    cost("Backblaze B2", "6")
    cost("Tailscale", "6")
    (planned,) = creep.check_and_send()
    assert planned.channel_id == hook.pk  # the only enabled channel that ticked cost
    assert (planned.event.kind, planned.event.title) == (COST, "Costs crept up")
    when = day(Review.objects.get().created)
    assert planned.event.text.splitlines() == [
        f"- The run rate is 112.00, up 12.00 (12.00%) from 100.00 at the review of {when}.",
        f"- New recurring cost since the review of {when}: Backblaze B2 (6.00 a month).",
        f"- New recurring cost since the review of {when}: Tailscale (6.00 a month).",
        "Open /ledger/ to look, then mark them reviewed or do the bill review.",
    ]
    assert creep.check_and_send() == []  # nothing new: no message


def test_after_change_queues_one_check_per_commit_and_none_on_rollback(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        creep.after_change()
        creep.after_change()
    assert [callback.__name__ for callback in callbacks] == ["_queue_check"]
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                creep.after_change()
                raise RuntimeError("the write failed")
        except RuntimeError:
            pass
    assert callbacks == []


def test_the_monthly_check_is_in_the_beat_schedule_with_an_expiry(settings):
    from apps.ledger.tasks import check_creep

    entry = settings.CELERY_BEAT_SCHEDULE["ledger-creep-monthly"]
    assert entry["task"] == check_creep.name == "ledger.check_creep"
    assert entry["options"]["expires"] > 0
    assert (entry["schedule"].day_of_month, entry["schedule"].hour) == ({1}, {6})  # the tests' zone is UTC


def settings_in(zone: str, monkeypatch) -> ModuleType:
    """homeops/settings.py read afresh as a household in `zone` would start it."""
    monkeypatch.setenv("TIME_ZONE", zone)
    spec = importlib.util.spec_from_file_location("settings_in_zone", Path(django_settings_module.__file__))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("zone", "local_day"),
    [
        ("UTC", 1),
        ("America/Los_Angeles", 1),  # 06:15 UTC on the 1st was 23:15 on the 31st there
        ("Pacific/Honolulu", 1),  # UTC-10: was 20:15 on the 31st
        ("Europe/Berlin", 1),
        ("Asia/Tokyo", 2),  # UTC+9: beat counts days in UTC, so the 2nd: still the new month
    ],
)
def test_the_monthly_check_runs_at_0615_household_time_in_the_new_month(zone, local_day, monkeypatch):
    schedule = settings_in(zone, monkeypatch).CELERY_BEAT_SCHEDULE["ledger-creep-monthly"]["schedule"]
    (day,), (hour,), (minute,) = schedule.day_of_month, schedule.hour, schedule.minute
    assert day == 1  # beat's UTC day
    # With today's offsets, as settings.py reads them: the UTC day's hh:mm is the household's
    # 06:15 of the same day (the 1st), or of the next day (the 2nd).
    utc = datetime.now(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    fires = utc.astimezone(ZoneInfo(zone))
    assert ((fires.date() - utc.date()).days + 1, fires.hour, fires.minute) == (local_day, 6, 15)


@pytest.mark.django_db(transaction=True)
def test_two_checks_at_once_open_each_alert_once():
    cost("Everything", "100")
    review("50")
    cost("Backblaze B2", "6")
    barrier = threading.Barrier(2)
    opened: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            opened.append(len(creep.check()))
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(opened) == [0, 2]
    assert sorted(CreepAlert.objects.values_list("reason", flat=True)) == ["growth", "new_item"]


def test_cost_is_an_opt_in_event_a_channel_ticks_on_its_form():
    assert "cost" not in Channel().events  # a new channel, the config file's default too
    assert not Channel(events=all_events()).wants(COST)
    assert Channel(events=["down", "cost"]).wants(COST)
    form = ChannelForm()
    assert "cost" in dict(form.fields["events"].choices)
    assert "cost" not in form["events"].value()  # not ticked at first
