"""Public pages: the register of decisions with its charts, the Auyl Amanaty cooperatives and
open-data downloads; each program's waiting list in payment order."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from subsidy.access import public
from subsidy.i18n import localized, money
from subsidy.transparency import queries
from subsidy.web.charts import bar_rows
from subsidy.web.labels import OUTCOME_LABELS as OUTCOMES
from subsidy.web.labels import label

bp = Blueprint("public", __name__)

PAGE_SIZE = 50
CSV_COLUMNS = (
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
)


# What a waiting list entry's status (queries.QUEUE_STATUSES) says to a reader.
QUEUE_STATUS_LABELS = {
    "approved": _l("approved, awaiting payment"),
    "scheduled": _l("in a payment run"),
    "returned": _l("returned by the bank, waiting again"),
    "waitlisted": _l("waitlisted"),
}


class RegisterFilters(FlaskForm):
    """Filters read from the query string; a GET changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    program = SelectField(_l("Program"), validate_choice=True)
    district = SelectField(_l("District"), validate_choice=True)
    outcome = SelectField(_l("Outcome"), validate_choice=True)


def _filters(summary: dict | None = None) -> tuple[RegisterFilters, dict]:
    """The filter form and the filters chosen; the programs and districts to choose from are
    those of ``queries.summary()`` (kept between decisions), passed in when the caller has it."""
    summary = queries.summary() if summary is None else summary
    form = RegisterFilters(formdata=request.args)
    everything = ("", _l("All"))
    form.program.choices = [everything] + [
        (row["code"], localized(row["name"] or row["code"])) for row in summary["by_program"]
    ]
    form.district.choices = [everything] + [
        (row["code"], localized(row["name"])) for row in summary["by_district"]
    ]
    form.outcome.choices = [everything, *OUTCOMES.items()]
    chosen = {}
    for field in (form.program, form.district, form.outcome):
        if field.data and field.validate(form):
            chosen[field.name] = field.data
        elif field.data:
            field.data = ""  # an unknown value filters nothing; the field shows its error
    return form, chosen


def _cursor() -> int | None:
    cursor = request.args.get("cursor", type=int)
    if cursor is not None and not 0 <= cursor < 2**31:
        return None  # not a cursor this page handed out: start from the top
    return cursor


@bp.route("/transparency")
@public
def transparency():
    summary = queries.summary()
    form, chosen = _filters(summary)
    cursor = _cursor()
    items, next_cursor = queries.register_page(**chosen, cursor=cursor, limit=PAGE_SIZE)
    districts = {row["code"]: row["name"] for row in summary["by_district"]}
    by_district = bar_rows(
        [
            (localized(row["name"]), row["amount"], money(row["amount"]))
            for row in summary["by_district"]
            if row["amount"] > 0
        ]
    )
    by_program = bar_rows(
        [
            (localized(row["name"] or row["code"]), amount, money(amount))
            for row in summary["by_program"]
            for amount in [Decimal(row["amount"] or 0)]
        ]
    )
    next_args = {**request.args.to_dict(), "cursor": next_cursor} if next_cursor else None
    return render_template(
        "public/transparency.html",
        form=form,
        chosen=chosen,
        items=items,
        cursor=cursor,
        next_args=next_args,
        districts=districts,
        by_district=by_district,
        by_program=by_program,
        # Translated once for the page rather than once for each row.
        outcomes={outcome: label(OUTCOMES, outcome) for outcome in OUTCOMES},
        cooperatives=queries.cooperatives(),
    )


class QueueFilter(FlaskForm):
    class Meta:
        csrf = False

    program = SelectField(_l("Program"), validate_choice=True)


@bp.route("/transparency/queue")
@public
def queue():
    """A program's waiting list (the first program unless one is chosen)."""
    summary = queries.summary()
    form = QueueFilter(formdata=request.args)
    names = {row["code"]: localized(row["name"] or row["code"]) for row in summary["by_program"]}
    form.program.choices = list(names.items())
    if form.program.data and not form.program.validate(form):
        form.program.data = None  # an unknown program: the field shows its error
    if not form.program.data and names:
        form.program.data = next(iter(names))
    cursor = _cursor()
    listing = None
    if form.program.data:
        listing = queries.waiting_list(program=form.program.data, cursor=cursor, limit=PAGE_SIZE)
    next_args = None
    if listing and listing["next"]:
        next_args = {**request.args.to_dict(), "program": form.program.data}
        next_args["cursor"] = listing["next"]
    return render_template(
        "public/queue.html",
        form=form,
        program_name=names.get(form.program.data or ""),
        listing=listing,
        cursor=cursor,
        next_args=next_args,
        statuses={status: label(QUEUE_STATUS_LABELS, status) for status in QUEUE_STATUS_LABELS},
    )


def _open_data_row(row: dict) -> dict:
    """A register row without anything that could name a natural person."""
    applicant = row["applicant"]
    return {
        "decision_number": row["decision_number"],
        "application_number": row["application_number"],
        "decided_at": row["decided_at"].isoformat() if row["decided_at"] else None,
        "program": row["program"],
        "district": row["district"],
        "applicant_kind": applicant["kind"],
        "applicant_name": applicant["name"],  # initials for a natural person
        "applicant_bin": None if applicant["masked"] else applicant["iin_bin"],
        "outcome": row["outcome"],
        "quantity": _plain(row["quantity"]),
        "unit": row["unit"],
        "approved_amount": _plain(row["approved_amount"]),
        "paid_amount": _plain(row["paid_amount"]),
        "paid_on": row["paid_on"].isoformat() if row["paid_on"] else None,
        "recovered_amount": _plain(row["recovered_amount"]),
        "pdf_sha256": row["pdf_sha256"],
        "log_index": row["log_index"],
    }


def _plain(value) -> str | None:
    return None if value is None else str(value)


@bp.route("/transparency/decisions.csv")
@public
def decisions_csv():
    _, chosen = _filters()

    def generate():
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        buffer.write("\ufeff")  # Excel reads UTF-8 only with a byte order mark
        writer.writeheader()
        for number, row in enumerate(queries.register_all(**chosen), start=1):
            writer.writerow(_open_data_row(row))
            if number % 200 == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")

    return _download(generate(), "text/csv; charset=utf-8", "decisions.csv")


@bp.route("/transparency/decisions.json")
@public
def decisions_json():
    _, chosen = _filters()

    def generate():
        yield b"["
        for number, row in enumerate(queries.register_all(**chosen)):
            prefix = b",\n" if number else b"\n"
            yield prefix + json.dumps(_open_data_row(row), ensure_ascii=False).encode("utf-8")
        yield b"\n]\n"

    return _download(generate(), "application/json", "decisions.json")


def _download(chunks, mimetype: str, filename: str) -> Response:
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
