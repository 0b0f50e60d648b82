"""The time budget: hours spent on maintenance in a year against the household's budget
(settings.MAINTENANCE_HOURS, "50-100" by default), by category, estimated against actual, and
the chart the budget page draws from it (server-rendered SVG: coordinates are computed here,
the template only writes them out, and the colours are CSS classes because the
Content-Security-Policy forbids inline style).

Actual time is what a completion recorded; a completion without minutes counts the task's
estimate instead, and the page says how many did. "Estimated" is the task's estimate (as it is
today) for each completion of the year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from apps.maintenance.models import Category, Completion


@dataclass
class Line:
    category: str
    label: str
    completions: int = 0
    estimated: int = 0  # minutes
    actual: int = 0  # minutes, with estimates standing in where none were recorded
    from_estimate: int = 0  # completions that recorded no minutes

    @property
    def estimated_hours(self) -> float:
        return self.estimated / 60

    @property
    def actual_hours(self) -> float:
        return self.actual / 60

    @property
    def estimated_words(self) -> str:
        return hours(self.estimated_hours)

    @property
    def actual_words(self) -> str:
        return hours(self.actual_hours)


@dataclass
class Budget:
    year: int
    low: int  # hours
    high: int
    lines: list[Line]  # every category, in the model's order
    total: Line
    elapsed: float  # share of the year gone (1 for a past year)
    pace_low: float = field(init=False)  # the budget's share for the part of the year gone
    pace_high: float = field(init=False)

    def __post_init__(self) -> None:
        self.pace_low, self.pace_high = self.low * self.elapsed, self.high * self.elapsed

    @property
    def elapsed_percent(self) -> int:
        return round(self.elapsed * 100)

    @property
    def verdict(self) -> str:
        """One sentence on where the year stands."""
        spent = self.total.actual_hours
        if spent > self.high:
            return f"Over budget: {hours(spent)} spent, the budget is {self.low}-{self.high} h a year."
        if self.elapsed < 1 and spent > self.pace_high:
            return f"Ahead of the budget's pace: {hours(spent)} so far, the pace allows {hours(self.pace_high)}."
        if spent < self.low and self.elapsed >= 1:
            return f"Under budget: {hours(spent)} spent, the budget is {self.low}-{self.high} h a year."
        return f"Within budget: {hours(spent)} of {self.low}-{self.high} h a year."


def hours(value: float) -> str:
    """3.25 -> "3.3 h", 12.0 -> "12 h": the chart and the table say the same figure."""
    tenths = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{tenths}".removesuffix(".0") + " h"


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """1 January to 1 January in the household's zone: a completion at 23:30 on 31 December
    local time belongs to that year, whatever UTC says."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(date(year, 1, 1), time(), zone), datetime.combine(date(year + 1, 1, 1), time(), zone)


def year_budget(year: int, *, now: datetime) -> Budget:
    start, end = year_bounds(year)
    lines = {value: Line(value, str(label)) for value, label in Category.choices}
    completions = Completion.objects.filter(completed__gte=start, completed__lt=end).select_related("task")
    for completion in completions.only("minutes", "task__category", "task__estimate_minutes"):
        line = lines[completion.task.category]
        line.completions += 1
        line.estimated += completion.task.estimate_minutes
        if completion.minutes is None:
            line.from_estimate += 1
            line.actual += completion.task.estimate_minutes
        else:
            line.actual += completion.minutes
    total = Line("total", "All")
    for line in lines.values():
        total.completions += line.completions
        total.estimated += line.estimated
        total.actual += line.actual
        total.from_estimate += line.from_estimate
    elapsed = min(1.0, max(0.0, (now - start) / (end - start)))
    low, high = settings.MAINTENANCE_HOURS
    return Budget(year=year, low=low, high=high, lines=list(lines.values()), total=total, elapsed=elapsed)


# --- The chart ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    text: str  # written after the bar
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    css: str = "label"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    labels: list[Label]
    marks: list[Bar]  # the budget's band and pace line on the year's bar


WIDTH = 640
LEFT = 96  # room for the category's name
RIGHT = 72  # room for the value after the longest bar
ROW = 34
BAR = 12


def chart(budget: Budget) -> Chart:
    """Per category an estimate bar over an actual bar, then the year's total against the
    budget's band (low to high) with the pace so far."""
    span = WIDTH - LEFT - RIGHT
    scale_max = max([line.estimated_hours for line in budget.lines] + [line.actual_hours for line in budget.lines])
    scale_max = max(scale_max, 1.0)
    bars: list[Bar] = []
    labels: list[Label] = []
    y = 8.0
    for line in budget.lines:
        labels.append(Label(0, y + BAR + 3, line.label))
        for value, css in ((line.estimated_hours, "estimated"), (line.actual_hours, "actual")):
            width = span * value / scale_max
            bars.append(Bar(LEFT, y, max(width, 0.0), BAR, css, hours(value), LEFT + width + 6, y + BAR - 2))
            y += BAR + 2
        y += ROW - 2 * (BAR + 2)
    # The year: its total against the budget, on its own scale.
    y += 10
    labels.append(Label(0, y + 14, "The year", "label strong"))
    labels.append(Label(0, y + 32, hours(budget.total.actual_hours), "value"))
    year_max = max(budget.high, budget.total.actual_hours) * 1.05
    band_x = LEFT + span * budget.low / year_max
    band_w = span * (budget.high - budget.low) / year_max
    marks = [Bar(band_x, y - 4, band_w, 28, "band", f"budget {budget.low}-{budget.high} h", band_x, y + 38)]
    if budget.elapsed < 1:
        pace_x = LEFT + span * budget.pace_high / year_max
        marks.append(Bar(pace_x - 1, y - 6, 2, 32, "pace", "", pace_x, y))
    width = span * budget.total.actual_hours / year_max
    # Its figure sits under "The year", where the budget's band cannot cover it.
    bars.append(Bar(LEFT, y + 2, width, 16, "actual total", "", 0, 0))
    return Chart(width=WIDTH, height=int(y + 46), bars=bars, labels=labels, marks=marks)
