"""The time budget: hours this year by category, estimated against actual, and its chart."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from apps.maintenance import budget
from apps.maintenance.models import Category, Completion, MaintenanceTask
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def task(title: str, category: str, estimate: int) -> MaintenanceTask:
    return MaintenanceTask.objects.create(
        title=title, category=category, estimate_minutes=estimate, starts=date(2026, 1, 1)
    )


def done(t: MaintenanceTask, when: datetime, minutes: int | None) -> Completion:
    return Completion.objects.create(task=t, completed=when, minutes=minutes)


def test_actual_time_falls_back_to_the_estimate_and_says_how_often(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    restore = task("Restore exercise", Category.BACKUP, 240)
    update = task("Model update", Category.UPDATE, 90)
    done(restore, datetime(2026, 3, 14, 10, tzinfo=BERLIN), 300)
    done(restore, datetime(2026, 6, 13, 10, tzinfo=BERLIN), None)  # no time recorded: 240 counts
    done(update, datetime(2026, 2, 1, 10, tzinfo=BERLIN), 60)
    done(update, datetime(2025, 12, 31, 23, 30, tzinfo=BERLIN), 60)  # last year in Berlin (22:30 UTC)

    figures = budget.year_budget(2026, now=datetime(2026, 7, 2, tzinfo=BERLIN))
    lines = {line.category: line for line in figures.lines}
    assert (lines["backup"].completions, lines["backup"].estimated, lines["backup"].actual) == (2, 480, 540)
    assert lines["backup"].from_estimate == 1
    assert (lines["update"].completions, lines["update"].estimated, lines["update"].actual) == (1, 90, 60)
    assert (figures.total.actual, figures.total.estimated, figures.total.from_estimate) == (600, 570, 1)
    assert [line.category for line in figures.lines] == list(Category.values)  # every category, even empty


def test_a_completion_just_after_new_year_in_the_household_zone_counts_for_the_new_year(settings):
    settings.TIME_ZONE = "America/New_York"
    weekly = task("Weekly look", Category.CHECK, 5)
    done(weekly, datetime(2026, 1, 1, 0, 30, tzinfo=ZoneInfo("America/New_York")), 5)  # 05:30 UTC
    done(weekly, datetime(2026, 1, 1, 3, 0, tzinfo=ZoneInfo("UTC")), 5)  # 22:00 on 31 December there
    now = datetime(2026, 2, 1, tzinfo=ZoneInfo("UTC"))
    assert budget.year_budget(2026, now=now).total.completions == 1
    assert budget.year_budget(2025, now=now).total.completions == 1


@pytest.mark.parametrize(
    ("spent_hours", "elapsed_month", "words"),
    [
        (20, 7, "Within budget: 20 h of 50-100 h a year."),
        (80, 3, "Ahead of the budget's pace: 80 h so far"),
        (120, 12, "Over budget: 120 h spent"),
    ],
)
def test_the_verdict_says_where_the_year_stands(settings, spent_hours, elapsed_month, words):
    settings.TIME_ZONE = "UTC"
    review = task("Review", Category.REVIEW, 60)
    done(review, datetime(2026, 1, 5, tzinfo=ZoneInfo("UTC")), spent_hours * 60)
    figures = budget.year_budget(2026, now=datetime(2026, elapsed_month, 1, tzinfo=ZoneInfo("UTC")))
    assert figures.verdict.startswith(words)


def test_the_budget_comes_from_the_setting(settings):
    settings.MAINTENANCE_HOURS = (30, 40)
    figures = budget.year_budget(2026, now=datetime(2026, 6, 1, tzinfo=ZoneInfo("UTC")))
    assert (figures.low, figures.high) == (30, 40)


def test_the_chart_draws_one_estimate_and_one_actual_bar_per_category_and_the_years_band():
    review = task("Review", Category.REVIEW, 600)
    done(review, datetime(2026, 1, 5, tzinfo=ZoneInfo("UTC")), 900)
    chart = budget.chart(budget.year_budget(2026, now=datetime(2026, 6, 1, tzinfo=ZoneInfo("UTC"))))
    bars = {(bar.css, bar.text) for bar in chart.bars}
    assert ("estimated", "10 h") in bars and ("actual", "15 h") in bars
    assert ("actual total", "") in bars
    assert "15 h" in [label.text for label in chart.labels]  # under "The year"
    assert len(chart.bars) == 2 * len(Category.values) + 1
    assert [mark.css for mark in chart.marks] == ["band", "pace"]
    longest = max(bar.x + bar.width for bar in chart.bars)
    assert longest <= chart.width - budget.RIGHT + 0.01  # the value fits after the longest bar


def test_the_budget_page_has_the_chart_and_the_table_without_inline_style(client, alice):
    review = task("Annual review", Category.REVIEW, 600)
    done(review, datetime.now(ZoneInfo("UTC")), None)
    page = signed_in(client, alice).get("/maintenance/budget/").content.decode()
    assert '<svg class="chart budget"' in page and '<table class="budget-table">' in page
    assert "style=" not in page
    assert "1 completion recorded no time, so its task's estimate is counted instead." in page
    assert re.search(r"<th scope=\"row\">Review</th><td>1</td><td>10 h</td><td>10 h", page)


def test_the_budget_page_of_an_empty_year_says_so(client, alice):
    page = signed_in(client, alice).get("/maintenance/budget/?year=2020").content.decode()
    assert "Nothing was done in 2020 yet." in page
    assert signed_in(client, alice).get("/maintenance/budget/?year=banana").status_code == 200


@pytest.mark.parametrize(("value", "words"), [(13.25, "13.3 h"), (12.0, "12 h"), (0.04, "0 h"), (46.75, "46.8 h")])
def test_hours_are_rounded_half_up_the_same_way_in_the_chart_and_the_table(value, words):
    assert budget.hours(value) == words


@pytest.mark.parametrize("value", ["lots", "100-50", "0-10", "50", "50-100-200"])
def test_a_malformed_budget_stops_start_up_naming_the_variable(tmp_path, value):
    from tests.core.test_settings import load_settings

    result = load_settings(tmp_path, HOMEOPS_MAINTENANCE_HOURS=value)
    assert result.returncode != 0
    assert "HOMEOPS_MAINTENANCE_HOURS must be hours a year as low-high, like 50-100" in result.stderr
