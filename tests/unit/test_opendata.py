"""The open-data writers alone (subsidy.transparency.opendata is pure): which cells are
neutralised, how numbers and times are spelled, and that a long register passes through the
.xlsx writer without being held in memory."""

from __future__ import annotations

import csv
import io
import tempfile
import tracemalloc
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import openpyxl
import pytest

from subsidy.transparency.opendata import (
    MACHINE,
    Column,
    Kind,
    Spelling,
    csv_cell,
    csv_chunks,
    neutralise,
    write_xlsx,
)

KZ = timezone(timedelta(hours=5))
HUMAN = Spelling(
    delimiter=";",
    decimal=",",
    zone=KZ,
    date_format="%d.%m.%Y",
    moment_format="%d.%m.%Y %H:%M:%S",
    excel_date_format="dd.mm.yyyy",
    excel_moment_format="dd.mm.yyyy hh:mm:ss",
    trim_zeros=True,
)
COLUMNS = (
    Column("name", "Name", width=30),
    Column("amount", "Amount", Kind.MONEY),
    Column("quantity", "Quantity", Kind.NUMBER),
    Column("on", "Paid on", Kind.DATE),
    Column("at", "Decided at", Kind.MOMENT),
    Column("index", "Log entry", Kind.INTEGER),
)


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://evil","x")']
)
def test_text_a_spreadsheet_would_run_gets_a_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["ТОО «Шығыс Агро»", "'quoted", "1+1", "a=b", "", "С. Н. Қ."])
def test_other_text_is_left_alone(text):
    assert neutralise(text) == text


def test_numbers_are_never_prefixed_and_text_always_is():
    assert csv_cell(Decimal("-5.5"), Kind.MONEY, HUMAN) == "-5,50"
    assert csv_cell(Decimal("-5.5"), Kind.MONEY, MACHINE) == "-5.50"
    assert csv_cell(-3, Kind.INTEGER, MACHINE) == "-3"
    assert csv_cell("-5.50", Kind.TEXT, MACHINE) == "'-5.50"


def test_money_must_be_decimal():
    with pytest.raises(TypeError):
        csv_cell(5.5, Kind.MONEY, MACHINE)


def test_spellings_of_numbers_dates_and_times():
    moment = datetime(2026, 6, 19, 21, 30, 5, 123456, tzinfo=UTC)
    assert csv_cell(moment, Kind.MOMENT, HUMAN) == "20.06.2026 02:30:05"
    assert csv_cell(moment, Kind.MOMENT, MACHINE) == "2026-06-19T21:30:05.123456+00:00"
    assert csv_cell(date(2026, 6, 20), Kind.DATE, HUMAN) == "20.06.2026"
    assert csv_cell(Decimal("250000.0000"), Kind.NUMBER, HUMAN) == "250000"
    assert csv_cell(Decimal("12.5000"), Kind.NUMBER, HUMAN) == "12,5"
    assert csv_cell(Decimal("250000.0000"), Kind.NUMBER, MACHINE) == "250000.0000"
    assert csv_cell(Decimal("250000"), Kind.MONEY, HUMAN) == "250000,00"


def test_csv_reads_back_with_its_delimiter():
    rows = [{"name": "a;b\r\nc", "amount": Decimal("1.5"), "quantity": Decimal(2), "index": 7}]
    text = b"".join(csv_chunks(COLUMNS, rows, HUMAN)).decode("utf-8-sig")
    header, row = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    assert header == ["Name", "Amount", "Quantity", "Paid on", "Decided at", "Log entry"]
    assert row == ["a;b\r\nc", "1,50", "2", "", "", "7"]


def test_xlsx_cells_are_typed_and_text_is_never_a_formula(tmp_path):
    path = tmp_path / "t.xlsx"
    rows = [
        {
            "name": "=1+1\x01",
            "amount": Decimal("-12345.6"),
            "quantity": Decimal("10.0000"),
            "on": date(2026, 6, 20),
            "at": datetime(2026, 6, 19, 21, 30, 5, 999, tzinfo=UTC),
            "index": 3,
        }
    ]
    with path.open("wb") as target:
        assert write_xlsx(COLUMNS, rows, target, title="Решения: [2026]", spelling=HUMAN) == 1
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "Решения   2026 " and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 30
    name, amount, quantity, on, at, index = sheet[2]
    assert name.data_type == "s" and name.value == "=1+1\ufffd" and name.quotePrefix
    assert amount.value == -12345.6 and amount.number_format == "#,##0.00"
    assert quantity.value == 10 and index.value == 3
    assert on.is_date and on.value == datetime(2026, 6, 20) and on.number_format == "dd.mm.yyyy"
    assert at.value == datetime(2026, 6, 20, 2, 30, 5)
    assert at.number_format == "dd.mm.yyyy hh:mm:ss"


def _peak_while_writing(count: int) -> int:
    rows = (
        {
            "name": f"ТОО «Хозяйство {n}» {'x' * 40}",
            "amount": Decimal(n) / 4,
            "quantity": Decimal(n % 90),
            "on": date(2026, 1, 1) + timedelta(days=n % 300),
            "at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=n),
            "index": n,
        }
        for n in range(count)
    )
    with tempfile.TemporaryFile() as target:
        tracemalloc.start()
        try:
            write_xlsx(COLUMNS, rows, target, title="t", spelling=HUMAN)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_a_long_register_is_not_held_in_memory():
    small, large = _peak_while_writing(500), _peak_while_writing(5_000)
    # Ten times the rows, not ten times the memory (5,000 rows held would take megabytes).
    assert large < small * 2, (small, large)
