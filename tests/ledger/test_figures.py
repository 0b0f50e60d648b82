"""figures.py, the ledger's one place for monthly arithmetic, as tables with exact Decimals:
amortisation, period shares, price history, projected usage, electricity (entered and from
the UPS's NUT variables), foreign currency, mid-month starts and ends, and the run rate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from apps.gateway.models import Backend
from apps.ledger import explain, figures
from apps.ledger.models import Category, CostItem, Kind, LedgerSettings, Period, Price, UsageEntry
from apps.status.models import Kind as CheckKind
from apps.status.models import Service

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 5, 14)  # May 2026 is the month in progress
KWH = D("0.30")
ZERO = D(0)


def month(text: str) -> date:
    year, number = text.split("-")
    return date(int(year), int(number), 1)


def make_item(
    name: str,
    *,
    kind: str = Kind.RECURRING,
    category: str = Category.SUBSCRIPTION,
    start: date = date(2025, 1, 1),
    prices: tuple = (),
    **fields,
) -> CostItem:
    """An item with its prices: (since, amount) or (since, amount, currency, rate)."""
    item = CostItem.objects.create(name=name, kind=kind, category=category, start=start, **fields)
    for since, amount, *money in prices:
        currency, rate = money or ("EUR", D(1))
        Price.objects.create(item=item, since=since, amount=D(amount), currency=currency, rate=D(rate))
    return item


def cost(item: CostItem, when: str, *, today: date = TODAY, usage: Decimal = ZERO, kwh: Decimal = KWH) -> Decimal:
    return figures.monthly_cost(item, month(when), today=today, kwh_price=kwh, usage=usage)


@pytest.fixture(autouse=True)
def household(db):
    LedgerSettings.objects.update_or_create(pk=1, defaults={"currency": "EUR", "kwh_price": KWH})


# --- one-off purchases: amortised over their useful life ------------------------------------------


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2025-10", "0"),  # before it was bought
        ("2025-11", "100"),  # the month it was bought (on the 20th): a whole share
        ("2026-05", "100"),
        ("2026-10", "100"),  # the 12th and last month of its life
        ("2026-11", "0"),  # after its life
        ("2030-01", "0"),
    ],
)
def test_a_one_off_purchase_amortises_over_its_life_months(when, expected):
    nas = make_item(
        "NAS",
        kind=Kind.ONE_OFF,
        category=Category.HARDWARE,
        start=date(2025, 11, 20),
        life_months=12,
        prices=[(date(2025, 11, 20), "1200.00")],
    )
    assert cost(nas, when) == D(expected)


@pytest.mark.parametrize(
    ("amount", "life", "currency", "rate", "expected", "shown"),
    [
        ("1999", 60, "EUR", "1", "33.31666666666666666666666667", "33.32"),
        ("2400", 60, "EUR", "1", "40", "40.00"),
        ("1000", 12, "USD", "0.92", "76.66666666666666666666666667", "76.67"),  # the rate the owner gave
        ("0.05", 1, "EUR", "1", "0.05", "0.05"),
        ("0.125", 1, "EUR", "1", "0.125", "0.13"),  # half-up at display only
    ],
)
def test_one_off_shares_are_exact_and_rounded_half_up_only_to_show(amount, life, currency, rate, expected, shown):
    item = make_item(
        "Studio",
        kind=Kind.ONE_OFF,
        category=Category.HARDWARE,
        life_months=life,
        prices=[(date(2025, 1, 1), amount, currency, rate)],
    )
    assert cost(item, "2025-01") == D(expected)
    assert figures.cents(cost(item, "2025-01")) == D(shown)


@pytest.mark.parametrize(("when", "expected"), [("2026-01", "100"), ("2026-02", "100"), ("2026-03", "0")])
def test_a_purchase_sold_early_stops_after_the_month_it_was_sold(when, expected):
    mini = make_item(
        "Mini",
        kind=Kind.ONE_OFF,
        category=Category.HARDWARE,
        start=date(2025, 11, 20),
        end=date(2026, 2, 10),
        life_months=12,
        prices=[(date(2025, 11, 20), "1200")],
    )
    assert cost(mini, when) == D(expected)


# --- recurring: period shares and price history ----------------------------------------------------


@pytest.mark.parametrize(
    ("period", "amount", "expected"),
    [
        (Period.MONTHLY, "20.00", "20.00"),
        (Period.QUARTERLY, "29.97", "9.99"),  # a third, exactly
        (Period.QUARTERLY, "10.00", "3.333333333333333333333333333"),
        (Period.YEARLY, "59.88", "4.99"),  # a twelfth, exactly
        (Period.YEARLY, "100", "8.333333333333333333333333333"),
        (Period.YEARLY, "120", "10"),
    ],
)
def test_a_recurring_price_counts_its_share_of_a_month(period, amount, expected):
    item = make_item("Plan", period=period, prices=[(date(2025, 1, 1), amount)])
    assert cost(item, "2025-03") == D(expected)


PRICES = [
    (date(2025, 1, 1), "10.00"),
    (date(2025, 6, 15), "12.00"),
    (date(2025, 9, 30), "13.00"),  # the last day of September
    (date(2026, 5, 20), "15.00"),  # later this month, already announced
]


@pytest.mark.parametrize(
    ("when", "today", "expected"),
    [
        ("2025-05", TODAY, "10.00"),
        ("2025-06", TODAY, "12.00"),  # changed mid-month: the price on the month's last day
        ("2025-08", TODAY, "12.00"),
        ("2025-09", TODAY, "13.00"),  # changed on its last day
        ("2026-04", TODAY, "13.00"),
        ("2026-05", TODAY, "13.00"),  # the month in progress: today's price, not the 20th's
        ("2026-05", date(2026, 5, 25), "15.00"),  # once the 20th has come
        ("2026-06", TODAY, "15.00"),  # a month to come: its last day's
    ],
)
def test_the_price_of_a_month_is_the_one_in_effect_on_its_last_day(when, today, expected):
    item = make_item("Streaming", prices=PRICES)
    assert cost(item, when, today=today) == D(expected)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 12, 31), "10.00"),  # before the first price: the first one (an item not started yet)
        (date(2025, 1, 1), "10.00"),
        (date(2025, 6, 14), "10.00"),
        (date(2025, 6, 15), "12.00"),
        (date(2026, 5, 19), "13.00"),
        (date(2026, 5, 20), "15.00"),
    ],
)
def test_the_price_in_effect_on_a_day_else_the_first(day, expected):
    item = make_item("Streaming", prices=PRICES[::-1])  # any order
    assert figures.price_in_effect(item.prices.all(), day).amount == D(expected)
    assert figures.price_in_effect([], day) is None


def test_a_foreign_currency_price_uses_its_rate():
    item = make_item("Tailscale", prices=[(date(2025, 1, 1), "9.99", "USD", "0.92")])
    assert cost(item, "2025-04") == D("9.1908")


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-02", "0"),  # before it started
        ("2026-03", "12"),  # started on the 20th: counts the whole month
        ("2026-04", "12"),
        ("2026-07", "12"),  # ended on the 5th: still counts that month
        ("2026-08", "0"),
    ],
)
def test_items_starting_and_ending_mid_month_count_those_months(when, expected):
    item = make_item("VPN", start=date(2026, 3, 20), end=date(2026, 7, 5), prices=[(date(2026, 3, 20), "12")])
    assert cost(item, when, today=date(2026, 12, 1)) == D(expected)


# --- usage: an entered bill as written, token spend projected over the days it covers ----------------


def usage(entered: str = "0", counted: str = "0", counted_to: date | None = None) -> figures.Usage:
    return figures.Usage(D(entered), D(counted), counted_to)


@pytest.mark.parametrize(
    ("entered", "when", "today", "expected"),
    [
        ("45.00", "2026-05", date(2026, 5, 3), "45.00"),  # a bill entered on the 3rd is the month's bill
        ("140", "2026-05", TODAY, "140"),
        ("140", "2026-05", date(2026, 5, 31), "140"),
        ("30.4375", "2026-05", date(2026, 5, 1), "30.4375"),
        ("0", "2026-05", TODAY, "0"),
        ("90.50", "2026-04", TODAY, "90.50"),  # a finished month: as entered
    ],
)
def test_an_entered_bill_counts_as_written_even_in_the_month_in_progress(entered, when, today, expected):
    item = make_item("Cloud API", kind=Kind.USAGE, category=Category.CLOUD_API)
    assert cost(item, when, today=today, usage=usage(entered)) == D(expected)


@pytest.mark.parametrize(
    ("counted", "counted_to", "today", "expected"),
    [
        ("1.30", date(2026, 5, 13), TODAY, "3.04375"),  # 13 days counted by the 14th, x 30.4375 / 13
        ("0.10", date(2026, 5, 1), date(2026, 5, 2), "3.04375"),  # on the 2nd only the 1st is counted
        ("0", None, date(2026, 5, 1), "0"),  # the 1st: nothing counted yet, nothing projected
        # Before the 04:20 run on the 14th only 12 days are counted, not 13:
        ("1.20", date(2026, 5, 12), TODAY, "3.04375"),
        # The worker was off for a week: the rows stop on the 6th, and 6 days are projected.
        ("0.60", date(2026, 5, 6), TODAY, "3.04375"),
        ("1.30", date(2026, 5, 13), date(2026, 6, 2), "1.30"),  # a finished month: as counted
    ],
)
def test_a_backends_token_spend_is_projected_over_the_days_its_rows_cover(counted, counted_to, today, expected):
    backend = Backend.objects.create(name="cloud", base_url="https://api.example.com/v1")
    item = make_item("Cloud API: cloud", kind=Kind.USAGE, category=Category.CLOUD_API, backend=backend)
    assert D("30.4375") == figures.DAYS_PER_MONTH
    assert cost(item, "2026-05", today=today, usage=usage(counted=counted, counted_to=counted_to)) == D(expected)


def test_a_bill_entered_beside_counted_tokens_is_not_projected():
    item = make_item("Cloud API", kind=Kind.USAGE, category=Category.CLOUD_API)
    # 3.04375 for the tokens of 13 days, plus 10 entered as written
    assert cost(item, "2026-05", usage=usage("10", "1.30", date(2026, 5, 13))) == D("13.04375")


def test_usage_entries_are_summed_per_month_in_household_currency():
    item = make_item("OpenAI", kind=Kind.USAGE, category=Category.CLOUD_API, start=date(2026, 4, 1))
    for day, amount, currency, rate in [
        (date(2026, 4, 30), "3.00", "EUR", "1"),
        (date(2026, 5, 2), "100", "EUR", "1"),
        (date(2026, 5, 13), "10", "USD", "0.9"),  # 9 in euros
        (date(2026, 5, 13), "31", "EUR", "1"),
    ]:
        UsageEntry.objects.create(item=item, day=day, amount=D(amount), currency=currency, rate=D(rate))
    assert figures.usage_by_month(month("2026-04"), month("2026-05")) == {
        (item.pk, month("2026-04")): usage("3.00"),
        (item.pk, month("2026-05")): usage("140.00"),
    }
    april, may = figures.months(month("2026-04"), month("2026-05"), today=TODAY)
    assert april.amount_of(item.pk) == D("3.00")
    assert may.amount_of(item.pk) == D("140.00")  # entered bills: not projected


def test_token_rows_are_counted_apart_with_their_newest_day_in_one_query(django_assert_num_queries):
    backend = Backend.objects.create(name="cloud", base_url="https://api.example.com/v1")
    item = make_item(
        "Cloud API: cloud", kind=Kind.USAGE, category=Category.CLOUD_API, start=date(2026, 4, 1), backend=backend
    )
    tokens = UsageEntry.Source.TOKENS
    for day, amount, source in [
        (date(2026, 4, 30), "0.50", tokens),
        (date(2026, 5, 1), "0.40", tokens),
        (date(2026, 5, 2), "0", tokens),  # a quiet day still counts as counted
        (date(2026, 5, 9), "5.00", UsageEntry.Source.MANUAL),  # entered by hand beside the counting
    ]:
        UsageEntry.objects.create(item=item, day=day, amount=D(amount), currency="EUR", source=source)
    with django_assert_num_queries(1):
        found = figures.usage_by_month(month("2026-04"), month("2026-05"))
    assert found == {
        (item.pk, month("2026-04")): usage(counted="0.50", counted_to=date(2026, 4, 30)),
        (item.pk, month("2026-05")): usage("5.00", "0.40", date(2026, 5, 2)),
    }
    may = figures.run_rate(today=TODAY)
    assert may.amount_of(item.pk) == D("11.0875")  # 5.00 + 0.40 x 30.4375 / 2


# --- electricity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("watts", "kwh", "expected"),
    [
        ("85", "0.30", "18.627750"),  # 85 W x 730.5 h / 1000 x 0.30
        ("120", "0.2845", "24.939270"),
        ("1000", "1", "730.5"),  # a kilowatt for an average month is 730.5 kWh
        ("0", "0.30", "0"),
    ],
)
def test_electricity_is_watts_times_an_average_month_times_the_kwh_price(watts, kwh, expected):
    assert figures.electricity_monthly(D(watts), D(kwh)) == D(expected)
    item = make_item("Studio power", category=Category.ELECTRICITY, watts=D(watts))
    assert cost(item, "2026-05", kwh=D(kwh)) == D(expected)


def test_electricity_without_watts_is_measured_from_the_ups():
    ups = Service.objects.create(
        name="ups", label="UPS", kind=CheckKind.NUT, check_config={"host": "nas", "ups": "ups"}, details={}
    )
    item = make_item("Rack power", category=Category.ELECTRICITY, ups=ups)
    assert figures.item_watts(item) is None  # not measured yet
    ups.details = {"ups.load": 15.0, "ups.realpower.nominal": 900.0, "ups.power": 180.0}
    ups.save()
    item = CostItem.objects.select_related("ups").get(pk=item.pk)
    assert figures.item_watts(item) == D("135")
    assert cost(item, "2026-05") == D("29.58525")  # 135 W x 730.5 / 1000 x 0.30
    item.watts = D("60.0")  # entered watts win over the UPS
    assert cost(item, "2026-05") == D("13.149")


@pytest.mark.parametrize(
    ("details", "watts"),
    [
        ({"ups.realpower": 142.0}, "142"),
        ({"ups.realpower": 142.0, "ups.load": 50.0, "ups.realpower.nominal": 900.0}, "142"),  # measured wins
        ({"ups.load": 15.0, "ups.realpower.nominal": 900.0}, "135"),  # load % x nominal watts
        ({"ups.load": 15.0, "ups.realpower.nominal": 900.0, "ups.power.nominal": 1500.0}, "135"),
        ({"ups.load": 20.0, "ups.power.nominal": 1500.0}, "240"),  # load % x VA x 0.8
        ({"ups.load": "23", "ups.power.nominal": "1000"}, "184"),  # as text, as NUT writes them
        ({"ups.realpower": "142.5"}, "142.5"),
        ({"ups.power": 180.0}, None),  # apparent power (VA), never read as watts
        ({"ups.power": 180.0, "ups.load": 20.0}, None),
        ({"ups.load": 20.0}, None),  # a load with nothing to scale it by
        ({"ups.realpower.nominal": 900.0}, None),  # a rating is not a draw
        ({}, None),
        ({"ups.realpower": -5.0}, None),  # nonsense is no measurement
        ({"ups.realpower": "nan"}, None),
        ({"ups.realpower": "lots"}, None),
        ({"ups.realpower": True}, None),
        ({"ups.realpower": None, "ups.load": 10.0, "ups.realpower.nominal": 600.0}, "60"),
    ],
)
def test_ups_watts_follows_nuts_usual_order(details, watts):
    assert figures.ups_watts(details) == (None if watts is None else D(watts))


# --- the run rate ----------------------------------------------------------------------------------


@pytest.fixture
def stack():
    """The reference stack, as the ledger sees May 2026 on the 14th."""
    bought = date(2025, 3, 10)
    items = {
        "studio": make_item(
            "Mac Studio",
            kind=Kind.ONE_OFF,
            category=Category.HARDWARE,
            start=bought,
            life_months=60,
            prices=[(bought, "2400")],
        ),
        "battery": make_item(
            "UPS battery",
            kind=Kind.ONE_OFF,
            category=Category.HARDWARE,
            start=date(2026, 5, 1),
            life_months=24,
            prices=[(date(2026, 5, 1), "60")],
        ),
        "backblaze": make_item("Backblaze", start=bought, prices=[(bought, "6.00")]),
        "icloud": make_item("iCloud+", start=bought, period=Period.YEARLY, prices=[(bought, "119.88")]),
        "old": make_item("Old VPN", start=bought, end=date(2026, 3, 31), prices=[(bought, "10")]),
        "domain": make_item(
            "Domain", category=Category.DOMAIN, start=bought, period=Period.YEARLY, prices=[(bought, "15")]
        ),
        "power": make_item("Electricity", category=Category.ELECTRICITY, start=bought, watts=D("85")),
        "cloud": make_item("Cloud API: cloud", kind=Kind.USAGE, category=Category.CLOUD_API, start=date(2026, 4, 1)),
    }
    for day, amount in [(date(2026, 4, 20), "3.00"), (date(2026, 5, 2), "0.45"), (date(2026, 5, 13), "0.25")]:
        UsageEntry.objects.create(item=items["cloud"], day=day, amount=D(amount), currency="EUR")
    return items


def test_the_run_rate_total_and_by_category(stack):
    may = figures.run_rate(today=TODAY)
    assert may.month == month("2026-05") and may.label == "May 2026"
    assert [(line.item.name, line.amount) for line in may.lines] == [
        ("Mac Studio", D("40")),
        ("Electricity", D("18.627750")),
        ("iCloud+", D("9.99")),
        ("Backblaze", D("6.00")),
        ("UPS battery", D("2.5")),
        ("Domain", D("1.25")),
        ("Cloud API: cloud", D("0.70")),  # entered by hand: as written, not projected
    ]  # the VPN ended in March: not a line any more
    assert may.total == D("79.067750")
    assert figures.cents(may.total) == D("79.07")
    assert may.by_category == {
        Category.HARDWARE: D("42.5"),
        Category.SUBSCRIPTION: D("15.99"),
        Category.CLOUD_API: D("0.70"),
        Category.ELECTRICITY: D("18.627750"),
        Category.DOMAIN: D("1.25"),
        Category.OTHER: D("0"),
    }
    assert list(may.by_category) == list(Category.values)
    assert sum(may.by_category.values()) == may.total


def test_the_trend_is_oldest_first_with_each_months_rules(stack):
    march, april, may = figures.trend(3, today=TODAY)
    assert [m.month for m in (march, april, may)] == [month("2026-03"), month("2026-04"), month("2026-05")]
    assert march.total == D("85.867750")  # with the VPN's last month, no cloud yet
    assert april.total == D("78.867750")  # the VPN gone, April's cloud as entered
    assert may.total == figures.run_rate(today=TODAY).total
    assert figures.run_rate(month("2026-04"), today=TODAY).total == april.total


def test_no_items_is_a_run_rate_of_nothing():
    empty = figures.run_rate(today=TODAY)
    assert (empty.lines, empty.total) == ([], D(0))
    assert set(empty.by_category.values()) == {D(0)}


# --- the usage figure in words (explain.py) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "found", "words"),
    [
        (False, usage("45.00"), "45.00 entered for this month (a bill counts as written) = 45.00 a month."),
        (False, usage(), "Nothing entered for this month yet: add the month's bill below."),
        (
            True,
            usage(counted="1.20", counted_to=date(2026, 5, 12)),
            "1.20 counted from the gateway over 12 days (1 to 12 May), projected over an average month "
            "of 30.44 days = 3.04 a month.",
        ),
        (True, usage(), "Counted each morning from the gateway's audit log: nothing counted for this month yet."),
    ],
)
def test_the_usage_figure_says_what_is_projected_and_over_which_days(backend, found, words):
    link = Backend.objects.create(name="cloud", base_url="https://api.example.com/v1") if backend else None
    item = make_item("Cloud API", kind=Kind.USAGE, category=Category.CLOUD_API, backend=link)
    assert explain.in_words(item, today=TODAY, kwh_price=KWH, household="EUR", usage=found) == words
