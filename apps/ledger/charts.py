"""The overview's two charts as server-rendered SVG geometry (no JavaScript library): the
12-month trend as columns, the month by category as bars. The template draws the shapes;
each chart has a title in words and the page a table with the same figures.

The drawing is 360 units wide, about a phone's width, so its text stays readable there; a
wider screen scales it up (static/css/homeops.css caps the width). Floats are for geometry
only: every figure shown is the money string (figures.money) of a Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from apps.ledger import figures
from apps.ledger.reports import money

WIDTH = 360


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str = "bar"
    title: str = ""  # a tooltip: the figure in words


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    css: str = "label"
    anchor: str = "start"


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    css: str
    title: str = ""


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    rects: list[Rect]
    texts: list[Text]
    lines: list[Line]  # the axis and the baseline


def _scale(values: list[Decimal]) -> float:
    return float(max(values, default=Decimal(0))) or 1.0


# --- the trend --------------------------------------------------------------------------------

TREND_HEIGHT = 170
TOP = 22  # room for the figures above the columns
BOTTOM = 20  # room for the months' names
GAP = 6


def trend(months: list[figures.Month], *, baseline: Decimal | None = None) -> Chart:
    """A column per month; the latest month carries its figure, and the highest too when it is
    far enough from the latest for both to be read; the last review's baseline is a dashed
    rule across, named at its left."""
    values = [month.total for month in months] + ([baseline] if baseline is not None else [])
    top = _scale(values)
    plot = TREND_HEIGHT - TOP - BOTTOM
    step = WIDTH / max(len(months), 1)
    floor = TREND_HEIGHT - BOTTOM
    rects, texts = [], []
    highest = max(range(len(months)), key=lambda i: (months[i].total, i)) if months else -1
    for index, month in enumerate(months):
        height = plot * float(month.total) / top
        x = index * step + GAP / 2
        last = index == len(months) - 1
        css = "bar now" if last else "bar"
        rects.append(Rect(x, floor - height, step - GAP, height, css, f"{month.label}: {money(month.total)}"))
        texts.append(Text(x + (step - GAP) / 2, TREND_HEIGHT - 5, f"{month.month:%b}", "label", "middle"))
        if last or (index == highest and index < len(months) - 3):
            anchor = "end" if last else "middle"
            text_x = x + step - GAP if last else x + (step - GAP) / 2
            texts.append(Text(text_x, floor - height - 6, money(month.total), "value", anchor))
    lines = [Line(0, floor + 0.5, WIDTH, floor + 0.5, "axis")]
    if baseline is not None:
        y = round(floor - plot * float(baseline) / top, 1)
        lines.append(Line(0, y, WIDTH, y, "baseline", f"Baseline at the last review: {money(baseline)}"))
        texts.append(Text(2, y - 4, f"baseline {money(baseline)}", "note"))
    return Chart(WIDTH, TREND_HEIGHT, rects, texts, lines)


# --- by category ------------------------------------------------------------------------------

LEFT = 104  # room for the category's name
RIGHT = 70  # room for the figure after the longest bar
ROW = 28
BAR = 16


def by_category(shares: list[tuple[str, Decimal]]) -> Chart:
    """A bar per category, its figure after it."""
    top = _scale([amount for _, amount in shares])
    span = WIDTH - LEFT - RIGHT
    rects, texts = [], []
    for index, (label, amount) in enumerate(shares):
        y = 4 + index * ROW
        width = max(span * float(amount) / top, 1.0)
        rects.append(Rect(LEFT, y, width, BAR, "bar", f"{label}: {money(amount)}"))
        texts.append(Text(0, y + BAR - 3, label))
        texts.append(Text(LEFT + width + 6, y + BAR - 3, money(amount), "value"))
    return Chart(WIDTH, 8 + len(shares) * ROW, rects, texts, [])
