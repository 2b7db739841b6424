"""Page geometry, colours and paragraph styles of the decision document."""

from __future__ import annotations

from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_DIR = Path(__file__).with_name("fonts")
# Kazakhstan keeps one zone, UTC+5, since 1 March 2024; a fixed offset needs no tz database.
ALMATY = timezone(timedelta(hours=5), "UTC+5")

MARGIN = 18 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN
LABEL_WIDTH = 50 * mm
QR_SIZE = 36 * mm
PADDING = 3  # left and right of every table cell
# Table rows move whole to the next page; a text taller than this (points, less than the
# ~740 pt frame) is cut into continuation rows first, so that no row is too tall for a page.
MAX_ROW_HEIGHT = 480

GREY = colors.HexColor("#555555")
RULE_LINE = colors.HexColor("#9a9a9a")
PASSED = colors.HexColor("#1b6e2a")
FAILED = colors.HexColor("#b3261e")

# No squeezing of spaces to fit a line (reportlab allows 5 %): a line never exceeds its column.
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=11.5, spaceShrinkage=0)
BOLD = ParagraphStyle("bold", parent=BODY, fontName=FONT_BOLD)
LABEL = ParagraphStyle("label", parent=BODY, fontSize=8, leading=10, textColor=GREY)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9.5)
INTRO = ParagraphStyle("intro", parent=SMALL, textColor=GREY)
REGION = ParagraphStyle("region", parent=LABEL, alignment=TA_CENTER)
TITLE = ParagraphStyle(
    "title", parent=BOLD, fontSize=16, leading=20, alignment=TA_CENTER, spaceBefore=4
)
SUBTITLE = ParagraphStyle("subtitle", parent=BODY, alignment=TA_CENTER)
NUMBER = ParagraphStyle(
    "number", parent=BOLD, fontSize=11, leading=14, alignment=TA_CENTER, spaceAfter=8
)
HEADING = ParagraphStyle(
    "heading",
    parent=BOLD,
    fontSize=10,
    leading=13,
)
# The verdict and each check's mark: green for yes, red for no.
VERDICT = {
    yes: ParagraphStyle(
        "verdict",
        parent=BOLD,
        fontSize=12,
        leading=15,
        alignment=TA_CENTER,
        textColor=PASSED if yes else FAILED,
    )
    for yes in (True, False)
}
# A table's style command: its name, the first and the last cell, then the command's values.
TableCommand = tuple[str, tuple[int, int], tuple[int, int], *tuple[Any, ...]]
# reportlab sets every cell's font, Helvetica unless told, and so lists it among the page's fonts.
CELL_FONT: TableCommand = ("FONTNAME", (0, 0), (-1, -1), FONT)
GRID: list[TableCommand] = [
    CELL_FONT,
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
    ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
]
