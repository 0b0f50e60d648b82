"""The days the ledger accepts: from 1990 to ten years ahead (an end: fifty), the same on the
item form, the services, the config file and the import preview. A year mistyped as 0001 made
the overview count 24,000 months."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.core import config
from apps.ledger import reports, services
from apps.ledger.models import Charge, CostItem, UsageEntry, latest_day
from tests.ledger.conftest import text, uploaded
from tests.ledger.reports_setup import cost

pytestmark = pytest.mark.django_db


def words(years: int = 10) -> str:
    return f"Write a date from 1 January 1990 to {latest_day(years):%-d %B %Y}, like 2025-03-14."


def refused(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


@pytest.mark.parametrize(
    ("start", "end", "problems"),
    [
        (date(1, 1, 1), None, {"start": [words()]}),
        (date(1989, 12, 31), None, {"start": [words()]}),
        (date(1990, 1, 1), None, {}),
        (None, None, {}),  # today
        ("ahead", None, {"start": [words()]}),
        (date(2025, 1, 1), date(9999, 12, 31), {"end": [words(50)]}),
        (date(2025, 1, 1), "far", {}),  # an end may be planned up to fifty years ahead
    ],
)
def test_an_item_starts_and_ends_within_the_ledgers_years(start, end, problems):
    today = timezone.localdate()
    start = today if start is None else (latest_day(10) + timedelta(days=1) if start == "ahead" else start)
    end = latest_day(50) if end == "far" else end
    item = CostItem(name="Domain", kind="recurring", category="domain", start=start, end=end)
    call = lambda: services.item_save(item, amount=Decimal("12.00"))  # noqa: E731
    if problems:
        assert refused(call) == problems
        assert not CostItem.objects.exists()
    else:
        call()


def test_the_item_form_says_so_and_saves_nothing(owner):
    response = owner.post(
        reverse("ledger:item_new") + "?kind=subscription",
        {"name": "Domain", "category": "domain", "period": "monthly", "start": "0001-03-01", "amount": "12"},
    )
    assert response.status_code == 400
    assert words() in text(response)
    assert not CostItem.objects.exists()


def test_a_price_change_a_charge_and_a_usage_entry_keep_within_the_years():
    item = cost("Domain", "12")
    usage = cost("API", "0", kind="usage")
    assert refused(lambda: services.price_change(item, amount=Decimal(13), since=date(9999, 1, 1))) == {
        "since": [words()]
    }
    assert refused(lambda: services.charge_save(Charge(day=date(1, 1, 1), amount=Decimal(5), currency=""))) == {
        "day": [words()]
    }
    entry = UsageEntry(item=usage, day=date(3000, 1, 1), amount=Decimal(5), currency="")
    assert refused(lambda: services.usage_save(entry)) == {"day": [words()]}


def test_the_config_file_refuses_a_start_outside_the_years_at_its_path():
    result = config.import_text("costs:\n  - {name: X, start: 0001-01-01, amount: 5}\n", dry_run=True)
    assert [f"{error.path}: {error.message}" for error in result.errors] == [f"costs[0].start: {words()}"]


def test_the_import_preview_errs_on_a_date_outside_the_years(owner):
    data = b"Date,Description,Amount\n2026-11-03,Domain,-9.99\n0001-11-04,Coffee,-3.50\n"
    batch = uploaded(owner, "card.csv", data)
    preview = owner.get(reverse("ledger:import_batch", args=[batch.pk])).context["preview"]
    assert [line.message for line in preview.errors] == [f"row 3: 0001-11-04: {words()}"]


def test_the_overview_counts_from_1990_at_the_earliest_for_a_start_saved_before_the_bound():
    item = cost("Domain", "1")
    CostItem.objects.filter(pk=item.pk).update(start=date(1, 1, 1))
    overview = reports.overview()
    assert overview.tco_first == date(1990, 1, 1)
