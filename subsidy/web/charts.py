"""Horizontal bar charts as plain geometry for inline SVG: no JavaScript, no external assets."""

from __future__ import annotations

from decimal import Decimal

WIDTH = 340  # the SVG viewBox width; the chart scales to its container
ROW = 44  # label line + bar
BAR = 16
LABEL_GAP = 16
LABEL_CHARS = 42  # about what fits the viewBox width at the chart's font size


def bar_rows(rows: list[tuple[str, Decimal, str]]) -> dict:
    """``rows`` of (label, value, value as text) -> the chart's bars and height.

    The amount goes inside a long bar (right-aligned) and after a short one, so it never runs
    past the chart's edge."""
    largest = max((value for _, value, _ in rows), default=Decimal(0))
    bars = []
    for position, (label, value, text) in enumerate(rows):
        share = float(value / largest) if largest > 0 else 0.0
        width = round(share * WIDTH, 1)
        inside = share > 0.6
        top = position * ROW
        bars.append(
            {
                "label": label,
                "short": shorten(label),
                "text": text,
                "label_y": top + 13,
                "bar_y": top + LABEL_GAP + 4,
                "width": max(width, 1.0) if value > 0 else 0,
                "text_x": width - 6 if inside else width + 6,
                "text_y": top + LABEL_GAP + 4 + BAR - 4,
                "inside": inside,
            }
        )
    return {"bars": bars, "width": WIDTH, "height": max(len(rows) * ROW, ROW), "bar": BAR}


def shorten(label: str, limit: int = LABEL_CHARS) -> str:
    """SVG text does not wrap: cut a long name (the full one is in the bar's <title>)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def percent(part: Decimal | None, whole: Decimal | None) -> float:
    if not whole or part is None or whole <= 0:
        return 0.0
    return max(0.0, min(100.0, float(Decimal(part) * 100 / Decimal(whole))))
