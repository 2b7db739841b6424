"""The appeal pages: the list with deadlines and the overdue ones, one appeal with the appealed
decision and the applicant's reason, the official's decision (after a confirmation step), and
filing an appeal from the application page or the recovery page.

Thin like the other pages: a Flask-WTF form, one call of :mod:`subsidy.appeals.services`, a
redirect. A refusal (the window closed, an appeal already open, an official who took part) is
shown translated with its status, and nothing is written."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from subsidy.access import Role, page_roles
from subsidy.accounts.queries import usernames
from subsidy.appeals import services
from subsidy.appeals.queries import appeal_document, appeal_view, list_appeals, visible_appeal
from subsidy.applications.queries import application_view, visible_application
from subsidy.audit.queries import history_of
from subsidy.decisions.http import pdf_response
from subsidy.decisions.services import linked_to
from subsidy.errors import DomainError, NotFound
from subsidy.i18n import day
from subsidy.obligations.queries import case_view, visible_case
from subsidy.preconditions import PreconditionFailed, entity_tag
from subsidy.programs.queries import program_view
from subsidy.unit_of_work import discard_changes
from subsidy.web.appeal_filing import AppealForm, DecideForm, refusal_text, show_refusal
from subsidy.web.labels import APPEAL_STATUS_LABELS, actor_labels, register_labels
from subsidy.web.recoveries import render_case
from subsidy.web.workflow import render_application

bp = Blueprint("appeal_pages", __name__)
bp.record_once(register_labels)

readers = page_roles(Role.APPLICANT, Role.OFFICIAL, Role.AUDITOR)
APPEAL_ID = "<int(max=2147483647):appeal_id>"
LIST_LIMIT = 200


# --- the list --------------------------------------------------------------------------------


def _filed(appeal_id: int) -> dict:
    """What the log says was appealed (rejection, ineligible, recovery) and its letter."""
    history = history_of(f"appeal:{appeal_id}")
    return next((h["data"] for h in history if h["action"] == "appeal_filed"), {})


@bp.route("/appeals")
@readers
def index():
    status = request.args.get("status") or None
    if status not in APPEAL_STATUS_LABELS:
        status = None
    overdue = True if request.args.get("overdue") == "1" else None
    rows = list_appeals(user=current_user, status=status, overdue=overdue, limit=LIST_LIMIT)
    for row in rows:
        row["appealed"] = _filed(row["id"]).get("appealed")
    return render_template(
        "appeals/index.html",
        rows=rows,
        filters={"status": status, "overdue": overdue},
        statuses=APPEAL_STATUS_LABELS,
        limited=len(rows) == LIST_LIMIT,
    )


# --- one appeal ------------------------------------------------------------------------------


def _visible(appeal_id: int):
    try:
        return visible_appeal(appeal_id, current_user)
    except NotFound:
        abort(404)


def _history(appeal_id: int) -> list[dict]:
    history = history_of(f"appeal:{appeal_id}")
    names = actor_labels(h["actor"] for h in history)
    for h in history:
        h["actor"] = names.get(h["actor"], h["actor"])
    return history


def _may_decide(appeal, application) -> tuple[bool, bool]:
    """(whether the viewer may decide it, whether they took part in the appealed decision)."""
    if current_user.role is not Role.OFFICIAL or appeal.status.value != "open":
        return False, False
    took_part = current_user.id in (application.decided_by_id, application.first_approver_id)
    barred = took_part or linked_to(current_user, application.applicant)
    return not barred, barred


def _render_appeal(appeal_id: int, *, error=None, status=200, form=None):
    appeal = _visible(appeal_id)
    view = appeal_view(appeal)
    application = visible_application(appeal.application_id, current_user)
    app_view = application_view(application)
    case = None
    if appeal.recovery_id is not None:
        case = case_view(visible_case(appeal.recovery_id, current_user))
    may_decide, barred = _may_decide(appeal, application)
    form = form or DecideForm(formdata=None)
    form.version.data = entity_tag(view)  # the form decides on what this page shows
    return render_template(
        "appeals/appeal.html",
        appeal=view,
        filed=_filed(appeal.id),
        app=app_view,
        program_name=program_view(application.program_version)["name"],
        case=case,
        names=usernames([view["decided_by_id"], (app_view["decision"] or {}).get("decided_by_id")]),
        history=_history(appeal.id) if current_user.role is not Role.APPLICANT else [],
        may_decide=may_decide,
        barred=barred,
        form=form,
        error=error,
    ), status


@bp.route(f"/appeals/{APPEAL_ID}")
@readers
def appeal(appeal_id):
    return _render_appeal(appeal_id)


@bp.route(f"/appeals/{APPEAL_ID}/decide", methods=["POST"])
@page_roles(Role.OFFICIAL)
def decide(appeal_id):
    _visible(appeal_id)
    form = DecideForm()
    if not form.validate_on_submit():
        return _render_appeal(appeal_id, status=422, form=form)
    try:
        decided = services.decide_appeal(
            appeal_id=appeal_id,
            user=current_user,
            outcome=form.outcome.data or "",
            reason=form.reason.data or "",
            if_match=form.seen,
        )
    except PreconditionFailed:  # changed since the page was shown: show it as it is now
        discard_changes()
        status = APPEAL_STATUS_LABELS.get(_visible(appeal_id).status.value)
        error = gettext(
            "This appeal changed since you opened the page: it is now “%(status)s”. Nothing "
            "was recorded: check it again below.",
            status=status,
        )
        return _render_appeal(appeal_id, error=error, status=409, form=form)
    except DomainError as refusal:
        error = show_refusal(form, refusal, refusal_text(refusal))
        if refusal.status == 404:
            abort(404)
        return _render_appeal(appeal_id, error=error, status=refusal.status, form=form)
    appeal = decided.appeal
    if appeal.status.value == "dismissed":
        flash(gettext("Appeal dismissed: the appealed decision stands."))
    elif appeal.recovery_id is not None:
        flash(gettext("Appeal granted: the recovery is cancelled."))
    elif decided.reopened:
        flash(gettext("Appeal granted: the application is back in review, in its queue place."))
    else:
        flash(gettext("Appeal granted, but evaluated again the application is still ineligible."))
    return redirect(url_for(".appeal", appeal_id=appeal_id))


@bp.route(f"/appeals/{APPEAL_ID}/decision.pdf")
@readers
def decision_pdf(appeal_id):
    try:
        return pdf_response(appeal_document(appeal_id, current_user))
    except NotFound:
        abort(404)


# --- filing ----------------------------------------------------------------------------------


def _filed_flash(appeal) -> None:
    flash(
        gettext(
            "Appeal filed: the regional agriculture office answers by %(day)s.",
            day=day(appeal.due_on),
        )
    )


@bp.route("/applications/<int(max=2147483647):application_id>/appeals", methods=["POST"])
@page_roles(Role.APPLICANT)
def file_application_appeal(application_id):
    try:
        application = visible_application(application_id, current_user)
    except NotFound:
        abort(404)
    form = AppealForm()
    if not form.validate_on_submit():
        return render_application(application, status=422, forms={"appeal": form})
    try:
        target = services.appealable_application(application)
        appeal = services.file_appeal(target=target, user=current_user, reason=form.reason.data)
    except DomainError as refusal:
        error = show_refusal(form, refusal, refusal_text(refusal))
        application = visible_application(application_id, current_user)
        return render_application(
            application, error=error, status=refusal.status, forms={"appeal": form}
        )
    _filed_flash(appeal)
    return redirect(url_for("workflow.application", application_id=application_id))


@bp.route("/recoveries/<int(max=2147483647):case_id>/appeals", methods=["POST"])
@page_roles(Role.APPLICANT)
def file_recovery_appeal(case_id):
    try:
        case = visible_case(case_id, current_user)
    except NotFound:
        abort(404)
    form = AppealForm()
    if not form.validate_on_submit():
        return render_case(case_id, status=422, appeal_form=form)
    try:
        target = services.appealable_recovery(case)
        appeal = services.file_appeal(target=target, user=current_user, reason=form.reason.data)
    except DomainError as refusal:
        error = show_refusal(form, refusal, refusal_text(refusal))
        return render_case(case_id, error=error, status=refusal.status, appeal_form=form)
    _filed_flash(appeal)
    return redirect(url_for("recovery_pages.case", case_id=case_id))
