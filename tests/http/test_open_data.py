"""The register's open data as people and programs read it: the CSV read back with Python's csv
module, the workbook opened with openpyxl. Formula payloads stored in text that reaches the
register come back neutralised, amounts are numbers with two decimals, times are Kazakhstan
time, and the headers are names in Russian, Kazakh and English; the machine form keeps the
columns integrators read."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from subsidy.clock import KAZAKHSTAN
from subsidy.decisions import services as decisions
from subsidy.districts.models import District
from subsidy.extensions import db
from subsidy.transparency.opendata import FORMULA_TRIGGERS
from tests.factories import (
    approved,
    bearer,
    make_applicant,
    make_program,
    make_user,
    registry,
    submit,
)
from tests.http._obligations import rejected_application
from tests.http.test_transparency import _pay

PROGRAM = "TEST-HEADS-2026"
# What an attacker types as a company's name; each would run in a spreadsheet as written.
PAYLOADS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)"]
# A tab or a carriage return in front: an applicant's name loses leading whitespace when it is
# registered, a program's name (from its file) keeps it, so these go into the program's names.
TAB_LED, CR_LED = "\t=1+1 Программа", "\r=1+1 Бағдарлама"
CONTRACT_COLUMNS = [
    "decision_number",
    "application_number",
    "decided_at",
    "program",
    "district",
    "applicant_kind",
    "applicant_name",
    "applicant_bin",
    "outcome",
    "quantity",
    "unit",
    "approved_amount",
    "paid_amount",
    "paid_on",
    "recovered_amount",
    "pdf_sha256",
    "log_index",
]
HEADERS = {
    "ru": [
        "Номер решения",
        "Номер заявки",
        "Дата и время решения (время Казахстана)",
        "Код программы",
        "Программа",
        "Код района (КАТО)",
        "Район",
        "Тип заявителя",
        "Заявитель",
        "БИН",
        "Результат",
        "Количество",
        "Единица",
        "Одобренная сумма, ₸",
        "Выплаченная сумма, ₸",
        "Дата выплаты",
        "Возвращённая сумма, ₸",
        "SHA-256 PDF-файла решения",
        "Запись журнала",
    ],
    "kk": [
        "Шешім нөмірі",
        "Өтінім нөмірі",
        "Шешім күні мен уақыты (Қазақстан уақыты)",
        "Бағдарлама коды",
        "Бағдарлама",
        "Аудан коды (ӘАОЖ)",
        "Аудан",
        "Өтініш беруші түрі",
        "Өтініш беруші",
        "БСН",
        "Нәтиже",
        "Саны",
        "Өлшем бірлігі",
        "Мақұлданған сома, ₸",
        "Төленген сома, ₸",
        "Төленген күні",
        "Қайтарылған сома, ₸",
        "Шешім PDF файлының SHA-256",
        "Журнал жазбасы",
    ],
    "en": [
        "Decision number",
        "Application number",
        "Decided at (Kazakhstan time)",
        "Program code",
        "Program",
        "District code (KATO)",
        "District",
        "Applicant type",
        "Applicant",
        "BIN",
        "Outcome",
        "Quantity",
        "Unit",
        "Approved amount, ₸",
        "Paid amount, ₸",
        "Paid on",
        "Recovered amount, ₸",
        "Decision PDF SHA-256",
        "Log entry",
    ],
}
# The human form's spelling per language: (delimiter, decimal separator, a decision's time).
SPELLING = {
    "ru": (";", ",", r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d"),
    "kk": (";", ",", r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d"),
    "en": (",", ".", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"),
}
AMOUNT = Decimal("12345.60")  # 10 heads at 1 234.56


@pytest.fixture
def hostile(app):
    """Four companies named with formula payloads, approved under a program whose Russian and
    Kazakh names begin with a tab and a carriage return; one of them paid, one more rejected."""
    make_program(
        rate="1234.56",
        budget="1000000.00",
        threshold="500000.00",
        name={"ru": TAB_LED, "kk": CR_LED, "en": "Program TEST-HEADS-2026"},
    )
    companies = [make_applicant("legal_entity", name=name) for name in PAYLOADS]
    person = make_applicant("individual", name="Серікбаев Нұрлан Қайратұлы")
    registry(livestock=[(a.iin_bin, "cattle", 30, 30) for a in [*companies, person]])
    applications = [approved(company) for company in companies]
    _pay(applications[0])
    decisions.reject_application(
        application=submit(person, quantity="5"), user=make_user("official"), reason="=1+1"
    )
    db.session.commit()
    district = db.session.get(District, companies[0].district_code)
    return {"applications": applications, "companies": companies, "district": district}


def _rows(client, url: str, delimiter: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    data = response.get_data()
    assert data.startswith("\ufeff".encode())  # so that Excel reads the Cyrillic as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def _no_cell_starts_a_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_TRIGGERS), (cell, row)


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_the_human_csv_neutralises_formulas_and_spells_numbers_for_excel(client, hostile, language):
    delimiter, decimal, moment = SPELLING[language]
    header, *rows = _rows(client, f"/transparency/decisions.csv?lang={language}", delimiter)
    assert header == HEADERS[language]
    _no_cell_starts_a_formula([header, *rows])
    by_name = {row[8]: dict(zip(header, row, strict=True)) for row in rows}
    assert {"'" + payload for payload in PAYLOADS} <= set(by_name)
    column = dict(zip(HEADERS["en"], HEADERS[language], strict=True))
    program_name = {"ru": "'" + TAB_LED, "kk": "'" + CR_LED, "en": "Program TEST-HEADS-2026"}
    paid_number = hostile["applications"][0].number
    for payload in PAYLOADS:
        row = by_name["'" + payload]
        assert row[column["Program code"]] == PROGRAM
        assert row[column["Program"]] == program_name[language]
        assert row[column["District code (KATO)"]] == hostile["district"].code
        assert row[column["District"]] == getattr(hostile["district"], f"name_{language}")
        amount = row[column["Approved amount, ₸"]]
        assert re.fullmatch(rf"\d+{re.escape(decimal)}\d\d", amount), amount
        assert Decimal(amount.replace(decimal, ".")) == AMOUNT
        assert re.fullmatch(moment, row[column["Decided at (Kazakhstan time)"]])
        if row[column["Application number"]] == paid_number:
            assert Decimal(row[column["Paid amount, ₸"]].replace(decimal, ".")) == AMOUNT
            paid_on = {"en": "2026-06-20"}.get(language, "20.06.2026")
            assert row[column["Paid on"]] == paid_on
    rejected = by_name["С. Н. Қ."]
    assert rejected[column["Approved amount, ₸"]] == ""  # as the page: nothing approved


def test_the_human_csv_shows_the_decision_time_in_kazakhstan_time(client, hostile):
    application = hostile["applications"][1]
    _, *rows = _rows(client, "/transparency/decisions.csv?lang=en", ",")
    row = next(r for r in rows if r[1] == application.number)
    local = application.decided_at.astimezone(KAZAKHSTAN).replace(microsecond=0, tzinfo=None)
    assert row[2] == local.isoformat(sep=" ")


def test_the_machine_csv_keeps_the_contract_columns_and_neutralises_formulas(client, hostile):
    header, *rows = _rows(client, "/transparency/decisions.csv", ",")
    assert header == CONTRACT_COLUMNS
    _no_cell_starts_a_formula(rows)
    items = [dict(zip(header, row, strict=True)) for row in rows]
    names = {item["applicant_name"] for item in items}
    assert {"'" + payload for payload in PAYLOADS} <= names
    company = next(item for item in items if item["applicant_name"] == "'+1+1")
    assert company["approved_amount"] == "12345.60" and company["program"] == PROGRAM
    assert company["district"] == hostile["district"].code
    assert datetime.fromisoformat(company["decided_at"]).utcoffset().total_seconds() == 0
    # format=machine wins over a language; format=human without one takes the page's.
    forced, *_ = _rows(client, "/transparency/decisions.csv?lang=kk&format=machine", ",")
    assert forced == CONTRACT_COLUMNS


def test_format_human_takes_the_language_of_the_page(client, hostile):
    client.get("/transparency?lang=kk")  # remembered in the session
    header, *_ = _rows(client, "/transparency/decisions.csv?format=human", ";")
    assert header == HEADERS["kk"]


def test_the_json_keeps_every_text_as_stored(client, hostile):
    response = client.get("/transparency/decisions.json")
    assert response.headers["Content-Type"] == "application/json"
    rows = json.loads(response.get_data(as_text=True))
    assert set(PAYLOADS) <= {row["applicant_name"] for row in rows}
    assert {row["approved_amount"] for row in rows if row["outcome"] == "approved"} == {"12345.60"}
    assert set(rows[0]) == set(CONTRACT_COLUMNS)


def _workbook(client, url: str):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response.headers["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.get_data()))


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_the_workbook_has_typed_cells_and_named_columns(client, hostile, language):
    book = _workbook(client, f"/transparency/decisions.xlsx?lang={language}")
    sheet = book.active
    assert sheet.title == {"ru": "Решения", "kk": "Шешімдер", "en": "Decisions"}[language]
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header == HEADERS[language] and all(cell.font.b for cell in sheet[1])
    assert sheet.column_dimensions["E"].width > sheet.column_dimensions["M"].width
    column = {name: index for index, name in enumerate(HEADERS["en"])}
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 5
    by_name = {row[column["Applicant"]].value: row for row in rows}
    assert set(PAYLOADS) <= set(by_name)  # the text as it is, typed as text
    for payload in PAYLOADS:
        row = by_name[payload]
        name = row[column["Applicant"]]
        assert name.data_type == "s" and name.quotePrefix  # never a formula, even when edited
        amount = row[column["Approved amount, ₸"]]
        assert amount.data_type == "n" and isinstance(amount.value, int | float)
        assert amount.number_format == "#,##0.00" and Decimal(str(amount.value)) == AMOUNT
        decided = row[column["Decided at (Kazakhstan time)"]]
        assert decided.is_date and isinstance(decided.value, datetime)
        assert decided.value.microsecond == 0
        assert row[column["District"]].value == getattr(hostile["district"], f"name_{language}")
        assert row[column["District code (KATO)"]].value == hostile["district"].code
        assert row[column["Program code"]].value == PROGRAM
        assert row[column["Quantity"]].value == 10
    program = by_name[PAYLOADS[0]][column["Program"]]
    if language == "ru":
        assert program.value == TAB_LED and program.data_type == "s" and program.quotePrefix
    paid = next(
        row
        for row in rows
        if row[column["Application number"]].value == hostile["applications"][0].number
    )
    paid_on = paid[column["Paid on"]]
    assert paid_on.is_date and paid_on.value.date() == date(2026, 6, 20)
    assert paid_on.number_format == {"en": "yyyy-mm-dd"}.get(language, "dd.mm.yyyy")
    application = hostile["applications"][0]
    local = application.decided_at.astimezone(KAZAKHSTAN).replace(microsecond=0, tzinfo=None)
    assert paid[column["Decided at (Kazakhstan time)"]].value == local
    rejected = by_name["С. Н. Қ."]
    assert rejected[column["Approved amount, ₸"]].value is None


def test_the_workbook_honours_the_filters_and_the_page_language(client, hostile):
    client.get("/transparency?lang=en")
    sheet = _workbook(client, "/transparency/decisions.xlsx?outcome=rejected").active
    assert sheet["A1"].value == "Decision number"
    assert [row[8] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["С. Н. Қ."]


def test_an_empty_register_downloads_headers_only(client, app):
    sheet = _workbook(client, "/transparency/decisions.xlsx?lang=ru").active
    assert [cell.value for cell in sheet[1]] == HEADERS["ru"] and sheet.max_row == 1
    assert _rows(client, "/transparency/decisions.csv?lang=ru", ";") == [HEADERS["ru"]]
    assert _rows(client, "/transparency/decisions.csv", ",") == [CONTRACT_COLUMNS]


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_the_register_page_links_the_three_downloads_with_its_filters(client, hostile, language):
    page = client.get(f"/transparency?lang={language}&outcome=approved").text
    block = page.split('class="downloads"')[1].split("</p>")[0].replace("&amp;", "&")
    links = re.findall(r'href="([^"]+)"', block)
    for link in links:
        assert "outcome=approved" in link
    assert any(f"decisions.xlsx?lang={language}" in link for link in links)
    assert any(f"decisions.csv?lang={language}" in link for link in links)
    assert any("decisions.json" in link for link in links)
    assert any(link.startswith("/transparency/decisions.csv?outcome") for link in links)


def test_a_rejection_reopened_on_appeal_stays_a_rejection_in_the_register(client, app):
    """A granted appeal sends the application back to review (submitted, no decision time):
    the register's row is the rejection letter, and says so in every form."""
    make_program()
    farm = make_applicant("peasant_farm")
    registry(livestock=[(farm.iin_bin, "cattle", 30, 30)])
    application = rejected_application(farm, official=make_user())
    farmer, official = make_user("applicant", applicant=farm), make_user()
    db.session.commit()
    appeal = client.post(
        f"/api/v1/applications/{application.id}/appeals",
        json={"reason": "the certificate was attached"},
        headers=bearer(farmer),
    ).json
    decided = client.post(
        f"/api/v1/appeals/{appeal['id']}/decide",
        json={"outcome": "granted", "reason": "the certificate is in the file"},
        headers=bearer(official),
    )
    assert decided.status_code == 200, decided.json
    [item] = client.get("/api/v1/transparency/decisions").json["items"]
    assert item["outcome"] == "rejected" and item["decided_at"] is not None
    assert item["recovered_amount"] is None
    [rejected] = client.get("/api/v1/transparency/decisions?outcome=rejected").json["items"]
    assert rejected["decision_number"] == item["decision_number"]
    header, row = _rows(client, "/transparency/decisions.csv", ",")
    assert dict(zip(header, row, strict=True))["outcome"] == "rejected"
    _, row = _rows(client, "/transparency/decisions.csv?lang=ru", ";")
    assert row[10] == "Отклонено" and re.fullmatch(SPELLING["ru"][2], row[2])
