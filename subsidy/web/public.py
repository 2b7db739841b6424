"""Public pages: the register of decisions with its charts, the Auyl Amanaty cooperatives and
open-data downloads; each program's waiting list in payment order."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from subsidy.access import public
from subsidy.extensions import limiter
from subsidy.i18n import localized, money
from subsidy.transparency import queries
from subsidy.web import open_data
from subsidy.web.charts import bar_rows
from subsidy.web.labels import OUTCOME_LABELS as OUTCOMES
from subsidy.web.labels import label

bp = Blueprint("public", __name__)

PAGE_SIZE = 50


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


@bp.route("/transparency/decisions.csv")
@public
def decisions_csv():
    summary = queries.summary()
    _, chosen = _filters(summary)
    return open_data.csv_download(chosen, summary)


@bp.route("/transparency/decisions.xlsx")
@public
@limiter.limit("10 per minute")  # a whole register's workbook takes seconds of CPU to write
def decisions_xlsx():
    summary = queries.summary()
    _, chosen = _filters(summary)
    return open_data.xlsx_download(chosen, summary)


@bp.route("/transparency/decisions.json")
@public
def decisions_json():
    _, chosen = _filters()
    return open_data.json_download(chosen)
