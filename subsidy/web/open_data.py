"""The register's open-data downloads: /transparency/decisions.csv, .xlsx and .json (the routes
are in ``public``; docs/api.md, "Open data", describes the forms).

- ``decisions.csv`` without ``lang``: the machine form integrators already read: the columns of
  ``MACHINE_COLUMNS`` under their snake_case names, comma-separated, decimal point, times
  ISO 8601 in UTC as stored. Text cells that a spreadsheet would take for a formula carry a
  leading single quote (``opendata.neutralise``); the JSON has every text exactly as stored.
- ``decisions.csv?lang=ru|kk|en`` (or ``format=human``, in the page's language): the human form
  for a spreadsheet: named columns in that language, district and program names beside their
  codes, times in Kazakhstan time to the second; for ru and kk semicolon-separated with a
  decimal comma (what Excel expects with the Russian or Kazakh regional settings), for en
  comma-separated with a decimal point.
- ``decisions.xlsx``: the human form as a workbook with typed cells, in the page's language or
  ``lang``'s.
- ``decisions.json``: the machine form's rows as a JSON array, as before.
"""

from __future__ import annotations

import json
import tempfile

from flask import Response, request, send_file, stream_with_context
from flask_babel import gettext as _

from subsidy.clock import KAZAKHSTAN
from subsidy.fields import money_str
from subsidy.i18n import DEFAULT, current_language
from subsidy.transparency import queries
from subsidy.transparency.opendata import (
    MACHINE,
    Column,
    Kind,
    Spelling,
    csv_chunks,
    write_xlsx,
)
from subsidy.web.labels import KIND_LABELS, OUTCOME_LABELS, UNIT_LABELS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The machine form: these names, in this order, are what integrators' readers look up.
MACHINE_COLUMNS = tuple(
    Column(key, key, kind)
    for key, kind in (
        ("decision_number", Kind.TEXT),
        ("application_number", Kind.TEXT),
        ("decided_at", Kind.MOMENT),
        ("program", Kind.TEXT),
        ("district", Kind.TEXT),
        ("applicant_kind", Kind.TEXT),
        ("applicant_name", Kind.TEXT),
        ("applicant_bin", Kind.TEXT),
        ("outcome", Kind.TEXT),
        ("quantity", Kind.NUMBER),
        ("unit", Kind.TEXT),
        ("approved_amount", Kind.MONEY),
        ("paid_amount", Kind.MONEY),
        ("paid_on", Kind.DATE),
        ("recovered_amount", Kind.MONEY),
        ("pdf_sha256", Kind.TEXT),
        ("log_index", Kind.INTEGER),
    )
)

_DAY_FIRST = Spelling(
    delimiter=";",
    decimal=",",
    zone=KAZAKHSTAN,
    date_format="%d.%m.%Y",
    moment_format="%d.%m.%Y %H:%M:%S",
    excel_date_format="dd.mm.yyyy",
    excel_moment_format="dd.mm.yyyy hh:mm:ss",
    trim_zeros=True,
)
# How the human form is spelled in each language: what a spreadsheet with that language's
# regional settings reads as numbers and dates without an import dialog.
SPELLINGS = {
    "ru": _DAY_FIRST,
    "kk": _DAY_FIRST,
    "en": Spelling(
        zone=KAZAKHSTAN,
        date_format="%Y-%m-%d",
        moment_format="%Y-%m-%d %H:%M:%S",
        trim_zeros=True,
    ),
}


def human_columns() -> tuple[Column, ...]:
    """The human form's columns, headed in the request's language."""
    return (
        Column("decision_number", _("Decision number"), width=24),
        Column("application_number", _("Application number"), width=24),
        Column("decided_at", _("Decided at (Kazakhstan time)"), Kind.MOMENT, 20),
        Column("program", _("Program code"), width=22),
        Column("program_name", _("Program"), width=44),
        Column("district", _("District code (KATO)"), width=14),
        Column("district_name", _("District"), width=30),
        Column("applicant_kind", _("Applicant type"), width=22),
        Column("applicant_name", _("Applicant"), width=36),
        Column("applicant_bin", _("BIN"), width=15),
        Column("outcome", _("Outcome"), width=12),
        Column("quantity", _("Quantity"), Kind.NUMBER, 11),
        Column("unit", _("Unit"), width=8),
        Column("approved_amount", _("Approved amount, ₸"), Kind.MONEY, 18),
        Column("paid_amount", _("Paid amount, ₸"), Kind.MONEY, 18),
        Column("paid_on", _("Paid on"), Kind.DATE, 12),
        Column("recovered_amount", _("Recovered amount, ₸"), Kind.MONEY, 18),
        Column("pdf_sha256", _("Decision PDF SHA-256"), width=66),
        Column("log_index", _("Log entry"), Kind.INTEGER, 10),
    )


def machine_row(row: dict) -> dict:
    """A register row without anything that could name a natural person, typed."""
    applicant = row["applicant"]
    return {
        "decision_number": row["decision_number"],
        "application_number": row["application_number"],
        "decided_at": row["decided_at"],
        "program": row["program"],
        "district": row["district"],
        "applicant_kind": applicant["kind"],
        "applicant_name": applicant["name"],  # initials for a natural person
        "applicant_bin": None if applicant["masked"] else applicant["iin_bin"],
        "outcome": row["outcome"],
        "quantity": row["quantity"],
        "unit": row["unit"],
        "approved_amount": row["approved_amount"],
        "paid_amount": row["paid_amount"],
        "paid_on": row["paid_on"],
        "recovered_amount": row["recovered_amount"],
        "pdf_sha256": row["pdf_sha256"],
        "log_index": row["log_index"],
    }


def _human_rows(chosen: dict, summary: dict):
    """The register's rows for the human form, in the request's language. The labels are
    translated once for the whole download, not once a row."""
    language = current_language()

    def pick(names: dict | None) -> str | None:
        return None if not names else names.get(language) or names.get(DEFAULT)

    districts = {row["code"]: pick(row["name"]) for row in summary["by_district"]}
    kinds = {key: str(text) for key, text in KIND_LABELS.items()}
    outcomes = {key: str(text) for key, text in OUTCOME_LABELS.items()}
    units = {key: str(text) for key, text in UNIT_LABELS.items()}
    for row in queries.register_all(**chosen):
        shown = machine_row(row)
        approved = row["outcome"] == "approved"
        yield {
            **shown,
            "program_name": pick(row["program_name"]),
            "district_name": districts.get(row["district"]) or row["district"],
            "applicant_kind": kinds.get(shown["applicant_kind"], shown["applicant_kind"]),
            "outcome": outcomes.get(row["outcome"], row["outcome"]),
            "unit": units.get(row["unit"], row["unit"]),
            "approved_amount": row["approved_amount"] if approved else None,
        }


def wants_human_csv() -> bool:
    """``format=human|machine`` says; else asking for a language asks for the human form."""
    asked = request.args.get("format")
    if asked in ("human", "machine"):
        return asked == "human"
    return "lang" in request.args


def csv_download(chosen: dict, summary: dict) -> Response:
    if not wants_human_csv():
        chunks = csv_chunks(
            MACHINE_COLUMNS, (machine_row(r) for r in queries.register_all(**chosen)), MACHINE
        )
        return _download(chunks, "decisions.csv")
    language = current_language()
    chunks = csv_chunks(human_columns(), _human_rows(chosen, summary), SPELLINGS[language])
    return _download(chunks, f"decisions-{language}.csv")


def _download(chunks, filename: str) -> Response:
    # content_type as it is: ``mimetype`` would append a second charset to a text type.
    response = Response(
        stream_with_context(chunks), content_type="text/csv; charset=utf-8; header=present"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_download(chosen: dict, summary: dict) -> Response:
    """The workbook is written to a temporary file (openpyxl's write-only mode keeps no row in
    memory) and sent from there; the file goes when the response is closed."""
    language = current_language()
    target = tempfile.TemporaryFile()  # noqa: SIM115 (send_file closes it with the response)
    try:
        write_xlsx(
            human_columns(),
            _human_rows(chosen, summary),
            target,
            title=_("Decisions"),
            spelling=SPELLINGS[language],
        )
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return send_file(
        target, mimetype=XLSX, as_attachment=True, download_name=f"decisions-{language}.xlsx"
    )


def json_row(row: dict) -> dict:
    """The machine row as JSON values: strings for money (two places), quantities as stored,
    ISO 8601 times and dates."""
    shown = machine_row(row)
    return {
        **shown,
        "decided_at": row["decided_at"].isoformat() if row["decided_at"] else None,
        "quantity": None if row["quantity"] is None else str(row["quantity"]),
        "approved_amount": money_str(row["approved_amount"]),
        "paid_amount": money_str(row["paid_amount"]),
        "paid_on": row["paid_on"].isoformat() if row["paid_on"] else None,
        "recovered_amount": money_str(row["recovered_amount"]),
    }


def json_download(chosen: dict) -> Response:
    def generate():
        yield b"["
        for number, row in enumerate(queries.register_all(**chosen)):
            prefix = b",\n" if number else b"\n"
            yield prefix + json.dumps(json_row(row), ensure_ascii=False).encode("utf-8")
        yield b"\n]\n"

    response = Response(stream_with_context(generate()), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="decisions.json"'
    return response
