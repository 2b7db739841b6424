"""The recovery pages: the cases with what is owed and the overdue ones (the list for
enforcement), one case with its animals, arithmetic, repayments and notice; a treasurer records
a repayment, the applicant may appeal the notice (the form posts to the appeal pages).

Thin like the other pages: a Flask-WTF form, one call of :mod:`subsidy.obligations.services`, a
redirect; a refusal is shown translated with its status and nothing is written. A repayment is
never recorded by one tap: the form's first POST answers with a confirmation stating the amount,
the day and what is still owed after it, and only the confirmation's POST records it (a record
in the log cannot be taken back)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from subsidy.access import ACCESS_ATTR, Role, page_roles
from subsidy.audit.queries import history_of
from subsidy.clock import today
from subsidy.decisions.http import pdf_response
from subsidy.errors import DomainError, NotFound
from subsidy.i18n import day, money
from subsidy.obligations import services
from subsidy.obligations.queries import case_view, list_cases, recovery_document, visible_case
from subsidy.web.appeal_filing import recovery_panel, show_refusal
from subsidy.web.labels import RECOVERY_STATUS_LABELS, actor_labels, register_labels
from subsidy.web.messages import refusal_line

bp = Blueprint("recovery_pages", __name__, url_prefix="/recoveries")
bp.record_once(register_labels)

readers = page_roles(Role.APPLICANT, Role.OFFICIAL, Role.TREASURER, Role.AUDITOR)
CASE_ID = "<int(max=2147483647):case_id>"
LIST_LIMIT = 200


class RepaymentForm(FlaskForm):
    amount = StringField(_l("Amount repaid"), [Length(max=32)])
    paid_on = StringField(_l("Paid on"), [Length(max=10)])
    confirmed = HiddenField()  # set by the confirmation's own button; without it the POST asks


def _amount(form: RepaymentForm) -> Decimal | None:
    """The amount as people type it (spaces, a decimal comma); None and a form error if not."""
    text = (form.amount.data or "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0:
        form.amount.errors = [gettext("Enter an amount greater than 0.")]
        return None
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        form.amount.errors = [gettext("At most 2 decimal places (tiyn).")]
        return None
    return value


def _paid_on(form: RepaymentForm) -> date | None:
    try:
        value = date.fromisoformat((form.paid_on.data or "").strip())
    except ValueError:
        form.paid_on.errors = [gettext("Enter a date (YYYY-MM-DD).")]
        return None
    if value > today():
        form.paid_on.errors = [gettext("The date must not be in the future.")]
        return None
    return value


def _refusal_text(refusal: DomainError) -> str:
    if refusal.status == 409 and "amount" in refusal.errors:
        owed = refusal.errors["amount"][0].removeprefix("at most ")
        return gettext(
            "That is more than is still owed: at most %(owed)s.", owed=money(Decimal(owed))
        )
    if refusal.status == 409 and "status" in refusal.errors:
        said = refusal.errors["status"][0].removeprefix("is ")
        return gettext(
            "Not possible now: the case is %(status)s.",
            status=str(RECOVERY_STATUS_LABELS.get(said, said)),
        )
    return refusal_line(refusal)


def _may_open(endpoint: str) -> bool:
    """Whether the viewer may open that page, so no link leads to a refusal."""
    view = current_app.view_functions.get(endpoint)
    return current_user.role.value in (getattr(view, ACCESS_ATTR, ()) or ())


# --- the list --------------------------------------------------------------------------------


@bp.route("")
@readers
def index():
    status = request.args.get("status") or None
    if status not in RECOVERY_STATUS_LABELS:
        status = None
    rows = list_cases(user=current_user, status=status, limit=LIST_LIMIT)
    return render_template(
        "appeals/recoveries.html",
        rows=rows,
        filters={"status": status},
        statuses=RECOVERY_STATUS_LABELS,
        link_applications=_may_open("workflow.application"),
        limited=len(rows) == LIST_LIMIT,
    )


# --- one case --------------------------------------------------------------------------------


def _visible(case_id: int):
    try:
        return visible_case(case_id, current_user)
    except NotFound:
        abort(404)


def _history(case) -> list[dict]:
    """The opening (logged on the application) and everything since (on the case)."""
    opened = [
        h
        for h in history_of(f"application:{case.application_id}")
        if h["action"] == "recovery_opened" and h["data"].get("case") == case.id
    ]
    history = opened + history_of(f"recovery:{case.id}")
    names = actor_labels(h["actor"] for h in history)
    for h in history:
        h["actor"] = names.get(h["actor"], h["actor"])
    return history


def render_case(
    case_id: int, *, error=None, status=200, repayment_form=None, appeal_form=None, confirm=None
):
    """The case page; the appeal pages render it again when filing an appeal is refused."""
    case = _visible(case_id)
    view = case_view(case)
    form = repayment_form or RepaymentForm(formdata=None)
    if not form.paid_on.data:
        form.paid_on.data = today().isoformat()
    return render_template(
        "appeals/recovery.html",
        case=view,
        history=_history(case) if current_user.role is not Role.APPLICANT else [],
        may_repay=current_user.role is Role.TREASURER and view["status"] in ("open", "overdue"),
        repayment_form=form,
        link_applications=_may_open("workflow.application"),
        link_appeals=_may_open("appeal_pages.appeal"),
        today=today(),
        error=error,
        confirm=confirm,
        **recovery_panel(case, appeal_form),
    ), status


@bp.route(f"/{CASE_ID}")
@readers
def case(case_id):
    return render_case(case_id)


@bp.route(f"/{CASE_ID}/notice.pdf")
@readers
def notice_pdf(case_id):
    try:
        return pdf_response(recovery_document(case_id, current_user))
    except NotFound:
        abort(404)


def _ask(case_id: int, form: RepaymentForm, amount: Decimal, paid_on: date):
    """The confirmation of a repayment, or at once the refusal the service would answer (more
    than is owed, a case no longer open), as the case is now; the service checks again."""
    view = case_view(_visible(case_id))
    if view["status"] not in ("open", "overdue"):
        text = gettext(
            "Not possible now: the case is %(status)s.",
            status=str(RECOVERY_STATUS_LABELS.get(view["status"], view["status"])),
        )
        return render_case(case_id, error=text, status=409, repayment_form=form)
    if amount > view["owed_amount"]:
        text = gettext(
            "That is more than is still owed: at most %(owed)s.", owed=money(view["owed_amount"])
        )
        return render_case(case_id, error=text, status=409, repayment_form=form)
    confirm = {
        "question": gettext(
            "Record a repayment of %(amount)s paid on %(day)s?",
            amount=money(amount),
            day=day(paid_on),
        ),
        "facts": [(gettext("Owed after it"), money(view["owed_amount"] - amount))],
        "note": gettext("A recorded repayment is logged and cannot be taken back."),
        "carried": [("amount", form.amount.data or ""), ("paid_on", form.paid_on.data or "")],
    }
    return render_case(case_id, repayment_form=form, confirm=confirm)


@bp.route(f"/{CASE_ID}/repayments", methods=["POST"])
@page_roles(Role.TREASURER)
def repay(case_id):
    _visible(case_id)
    form = RepaymentForm()
    valid = form.validate_on_submit()
    amount, paid_on = _amount(form), _paid_on(form)
    if not valid or amount is None or paid_on is None:
        return render_case(case_id, status=422, repayment_form=form)
    if form.confirmed.data != "1":
        return _ask(case_id, form, amount, paid_on)
    try:
        services.record_repayment(
            case_id=case_id, amount=amount, paid_on=paid_on, user=current_user
        )
    except DomainError as refusal:
        error = show_refusal(form, refusal, _refusal_text(refusal))
        return render_case(case_id, error=error, status=refusal.status, repayment_form=form)
    flash(gettext("Repayment of %(amount)s recorded.", amount=money(amount)))
    return redirect(url_for(".case", case_id=case_id))
