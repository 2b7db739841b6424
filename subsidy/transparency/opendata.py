"""The public register as tables people open in a spreadsheet: CSV that no spreadsheet runs as a
formula, and .xlsx with typed cells. Pure: the caller gives the columns (with their headers in
the reader's language), the rows as plain values and the spelling; a test needs no app.

Formula injection (OWASP, "CSV Injection"): Excel, LibreOffice and Google Sheets take a cell
that begins with ``=``, ``+``, ``-`` or ``@`` for a formula, and some skip a leading tab or
carriage return before deciding; ``=HYPERLINK(...)`` in a company's name becomes a link that
leaks or lures. Every *text* cell that begins with one of them is written with a single quote in
front, as OWASP advises: the spreadsheet shows the text, never evaluates it, and a reader sees
the quote. Numbers are written as numbers and never prefixed (a negative amount stays a
number); only text is. In .xlsx a text cell is typed as a string, which is never a formula, so
the text is kept as it is, and marked "quote prefix" so that editing the cell keeps it text.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# What a spreadsheet may read as the start of a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Characters XML 1.0 cannot carry (openpyxl refuses them): shown as U+FFFD in .xlsx.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

MONEY_FORMAT = "#,##0.00"
# Excel sheet names: at most 31 characters, none of these.
_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def neutralise(text: str) -> str:
    """``text`` with a single quote in front when a spreadsheet could take it for a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


class Kind(enum.Enum):
    TEXT = "text"
    MONEY = "money"  # Decimal, two places
    NUMBER = "number"  # Decimal, as many places as it has
    INTEGER = "integer"
    DATE = "date"
    MOMENT = "moment"  # an aware datetime


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: Kind = Kind.TEXT
    width: float = 14  # .xlsx, in characters


@dataclass(frozen=True)
class Spelling:
    """How values are written. The defaults are the machine form: comma-separated, decimal
    point, times and dates ISO 8601 as stored (UTC, with offset), numbers as stored."""

    delimiter: str = ","
    decimal: str = "."
    zone: tzinfo | None = None  # times shown in this zone (None: as stored)
    date_format: str | None = None  # CSV, strftime; None: ISO 8601
    moment_format: str | None = None
    excel_date_format: str = "yyyy-mm-dd"  # .xlsx number formats
    excel_moment_format: str = "yyyy-mm-dd hh:mm:ss"
    trim_zeros: bool = False  # quantities: 10 rather than 10.0000


MACHINE = Spelling()


# --- CSV --------------------------------------------------------------------------------------


def csv_cell(value: Any, kind: Kind, spelling: Spelling) -> str:
    if value is None:
        return ""
    if kind is Kind.MONEY:
        return _decimal(f"{_money(value):.2f}", spelling)
    if kind is Kind.NUMBER:
        number = _number(value)
        return _decimal(
            format(number.normalize() if spelling.trim_zeros else number, "f"), spelling
        )
    if kind is Kind.INTEGER:
        return str(int(value))
    if kind is Kind.DATE:
        if spelling.date_format is None:
            return str(value.isoformat())
        return str(value.strftime(spelling.date_format))
    if kind is Kind.MOMENT:
        moment = value if spelling.zone is None else value.astimezone(spelling.zone)
        if spelling.moment_format is None:
            return str(moment.isoformat())
        return str(moment.strftime(spelling.moment_format))
    return neutralise(str(value))


def csv_chunks(
    columns: tuple[Column, ...],
    rows: Iterable[Mapping[str, Any]],
    spelling: Spelling,
    *,
    batch: int = 200,
) -> Iterator[bytes]:
    """UTF-8 with a byte order mark (without it Excel reads the file in the system's ANSI code
    page and Cyrillic comes out garbled), a header row, CRLF line ends (RFC 4180); ``batch``
    rows per chunk, so a long register is streamed rather than held."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=spelling.delimiter, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(column.header) for column in columns])
    for number, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(row.get(c.key), c.kind, spelling) for c in columns])
        if number % batch == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# --- .xlsx ------------------------------------------------------------------------------------


def write_xlsx(
    columns: tuple[Column, ...],
    rows: Iterable[Mapping[str, Any]],
    target: IO[bytes],
    *,
    title: str,
    spelling: Spelling,
) -> int:
    """Write one sheet named ``title`` to ``target``: a bold, frozen header row, the columns at
    their widths, amounts as numbers shown with two decimals, dates and times as dates; returns
    the number of rows written. openpyxl's write-only mode sends each row to a temporary file
    as it is appended (strings inline, no shared table), so memory stays flat with the length of
    the register."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_name(title))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    header = []
    for column in columns:
        cell = _text_cell(sheet, column.header)
        cell.font, cell.alignment = bold, wrap
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_xlsx_cell(sheet, row.get(c.key), c.kind, spelling) for c in columns])
        count += 1
    workbook.save(target)
    return count


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any, kind: Kind, spelling: Spelling) -> Any:
    if value is None:
        return None
    if kind is Kind.TEXT:
        text = _NOT_IN_XML.sub("\ufffd", str(value))
        # A plain string is written into openpyxl's one reused cell, as text; only text that
        # could start a formula needs a cell of its own (and a number a cell with its format).
        return _text_cell(sheet, text) if text.startswith(FORMULA_TRIGGERS) else text
    if kind is Kind.MONEY:
        # openpyxl writes a Decimal as a number; the spreadsheet holds it as an IEEE double,
        # exact to the tiyn below 10^13 tenge.
        return _cell(sheet, _money(value), MONEY_FORMAT)
    if kind is Kind.NUMBER:
        return _cell(sheet, _number(value).normalize(), "General")
    if kind is Kind.INTEGER:
        return int(value)
    if kind is Kind.DATE:
        return _cell(sheet, value, spelling.excel_date_format)
    # A spreadsheet's times have no zone: the local time, which the header names.
    moment = value if spelling.zone is None else value.astimezone(spelling.zone)
    return _cell(sheet, moment.replace(tzinfo=None, microsecond=0), spelling.excel_moment_format)


def _cell(sheet: WriteOnlyWorksheet, value: Any, number_format: str | None = None) -> Cell:
    cell = WriteOnlyCell(sheet)
    cell.value = value
    if number_format is not None:
        cell.number_format = number_format
    return cell


def _text_cell(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    cell = _cell(sheet, _NOT_IN_XML.sub("\ufffd", text))
    # openpyxl takes a string beginning with "=" for a formula: typed as a string it is text.
    cell.data_type = "s"
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True
    return cell


def _sheet_name(title: str) -> str:
    return _NOT_IN_SHEET_NAME.sub(" ", title)[:31] or "Sheet"


# --- values -----------------------------------------------------------------------------------


def _money(value: Any) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be Decimal, not {type(value).__name__}")
    return value.quantize(Decimal("0.01"))


def _number(value: Any) -> Decimal:
    if not isinstance(value, Decimal | int):
        raise TypeError(f"a quantity must be Decimal, not {type(value).__name__}")
    return Decimal(value)


def _decimal(text: str, spelling: Spelling) -> str:
    return text if spelling.decimal == "." else text.replace(".", spelling.decimal)
