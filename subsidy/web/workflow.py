"""The farmer's and the official's pages: thin views over the services the API calls.

Each view parses a Flask-WTF form, calls one service with the acting user and renders; a domain
error is shown on the page with its status (nothing written, except a waitlisting, which the
approval view keeps)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from subsidy.access import Role, page_roles
from subsidy.accounts.queries import usernames
from subsidy.applicants import services as applicants
from subsidy.applicants.bank import InvalidBankAccount, mask_iban, validate_bic, validate_iban
from subsidy.applicants.queries import cooperatives_of
from subsidy.applications import flags, services
from subsidy.applications.facts import registry_facts
from subsidy.applications.queries import (
    application_view,
    list_applications,
    list_views,
    visible_application,
)
from subsidy.applications.states import Status, require_action, statuses_allowing
from subsidy.audit.queries import history_of
from subsidy.clock import today
from subsidy.decisions import services as decisions
from subsidy.decisions.http import pdf_response, tlog_proof_response
from subsidy.decisions.queries import latest_document
from subsidy.errors import DomainError, NotFound
from subsidy.i18n import current_language, localized
from subsidy.preconditions import PreconditionFailed, entity_tag
from subsidy.programs.queries import current_versions, is_open, program_view
from subsidy.registry.queries import latest_snapshots
from subsidy.transparency.queries import summary as register_summary
from subsidy.unit_of_work import discard_changes, keep_changes
from subsidy.web.appeal_filing import application_panel
from subsidy.web.applying import (
    ApplicationForm,
    applicant_suggestions,
    flash_submitted,
    number_field,
    quantity_field,
)
from subsidy.web.deciding import (
    ApproveForm,
    FlagsForm,
    RejectForm,
    WithdrawForm,
    approval_question,
    changed_since,
    rejection_question,
    withdrawal_question,
)
from subsidy.web.labels import (
    FLAG_LABELS,
    STATUS_LABELS,
    UNIT_LABELS,
    actor_labels,
    register_labels,
)
from subsidy.web.messages import refusal_line, translate_all

bp = Blueprint("workflow", __name__)
bp.record_once(register_labels)

READERS = (Role.APPLICANT, Role.OFFICIAL, Role.AUDITOR)
PAGE_SIZE = 25


# --- forms -----------------------------------------------------------------------------------


class BankAccountForm(FlaskForm):
    iban = StringField(_l("IBAN"), validators=[Length(max=64)])
    bic = StringField(_l("BIC of the bank"), validators=[Length(max=32)])


class _FieldError(DomainError):
    status = 422
    code = "validation_error"

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", {field: [message]})


def _show_refusal(form: FlaskForm, refusal: DomainError) -> str:
    """Put a service's field errors next to the form's fields; the rest as one line."""
    for field, messages in refusal.errors.items():
        target = getattr(form, field, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = translate_all(messages)
    # Show the page as stored: undo what the refused call flushed, unless it must be kept.
    if not g.get("keep_changes"):
        discard_changes()
    return refusal_line(refusal, form)


# --- the list and the queue ------------------------------------------------------------------


def _filters() -> dict:
    args = request.args
    status = args.get("status") or None
    if status not in STATUS_LABELS:
        status = None
    cursor = args.get("cursor", "")
    flag = args.get("flag") or None
    return {
        "flag": flag if flag in FLAG_LABELS else None,
        "sort": "risk" if args.get("sort") == "risk" else None,
        "program": (args.get("program") or "")[:64] or None,
        "district": (args.get("district") or "")[:16] or None,
        "status": status,
        "overdue": args.get("overdue") == "1",
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        "cursor": int(cursor)
        if cursor.isascii() and cursor.isdecimal() and len(cursor) < 11
        else None,
    }


@bp.route("/applications")
@page_roles(*READERS)
def applications():
    filters = _filters()
    if current_user.role is Role.APPLICANT:
        rows, next_cursor = list_applications(
            user=current_user, cursor=filters["cursor"], limit=PAGE_SIZE
        )
        return render_template(
            "workflow/my_applications.html",
            rows=list_views(rows),
            next_cursor=next_cursor,
            status_names=_status_names(),
        )
    rows, next_cursor = list_applications(user=current_user, limit=PAGE_SIZE, **filters)
    # Budgets and district names as the public register keeps them between decisions (every
    # approval changes what they are kept for): one query instead of four.
    summary = register_summary()
    next_args = {k: v for k, v in filters.items() if v and k != "cursor"}
    if filters["overdue"]:
        next_args["overdue"] = "1"
    return render_template(
        "workflow/queue.html",
        rows=list_views(rows),
        next_url=url_for(".applications", cursor=next_cursor, **next_args) if next_cursor else None,
        filters=filters,
        programs=[_gauge(row) for row in summary["by_program"]],
        districts=[(row["code"], localized(row["name"])) for row in summary["by_district"]],
        statuses=STATUS_LABELS,
        status_names=_status_names(),
        flag_names={code: str(name) for code, name in FLAG_LABELS.items()},
    )


def _gauge(total: dict) -> dict:
    """A program's budget gauge from its register total (``transparency.queries.summary``)."""
    return {
        "code": total["code"],
        "name": total["name"] or total["code"],
        "budget": total["budget"],
        "committed": total["amount"],
        "remaining": total["budget"] - total["amount"],
    }


def _status_names() -> dict[str, str]:
    """Each status's name, translated once for a page rather than once for each row."""
    return {status: str(name) for status, name in STATUS_LABELS.items()}


# --- a new application -----------------------------------------------------------------------


def _open_programs() -> dict[str, dict]:
    day = today()
    return {
        version.program.code: program_view(version)
        for version in current_versions()
        if is_open(version, day)
    }


@bp.route("/applications/new", methods=["GET", "POST"])
@page_roles(Role.APPLICANT, Role.OFFICIAL)
def new_application():
    programs = _open_programs()
    form = ApplicationForm()
    form.program.choices = [
        (code, f"{code} — {localized(p['name'])}") for code, p in programs.items()
    ]
    if request.method == "GET":
        form.idempotency_key.data = uuid.uuid4().hex
        if request.args.get("program") in programs:
            form.program.data = request.args["program"]
        if current_user.role is Role.OFFICIAL:  # a link may name the applicant
            form.applicant.data = (request.args.get("applicant") or "")[:12] or None
    evaluation, error, status = None, None, 200
    if form.validate_on_submit():
        quantity = quantity_field(form, programs)
        applicant = (
            current_user.applicant.iin_bin
            if current_user.role is Role.APPLICANT
            else (form.applicant.data or "").strip()
        )
        if quantity is None:
            status = 422
        else:
            listed = (form.animals.data or "").replace(",", " ").split()
            args = {
                "program": form.program.data,
                "applicant": applicant,
                "quantity": quantity,
                "user": current_user,
                "animals": listed or None,
            }
            try:
                if form.submit.data:
                    key = (form.idempotency_key.data or "").strip()[:128] or None
                    application, created = services.submit_application(**args, idempotency_key=key)
                    flash_submitted(application, created)
                    return redirect(url_for(".application", application_id=application.id))
                evaluation = services.preview_application(**args)
            except DomainError as refusal:
                error, status = _show_refusal(form, refusal), refusal.status
    elif request.method == "POST":
        status = 422
    return render_template(
        "workflow/new_application.html",
        form=form,
        programs=programs,
        evaluation=evaluation,
        error=error,
        units=UNIT_LABELS,
    ), status


@bp.route("/applicants/search")
@page_roles(Role.OFFICIAL)
def applicant_search():
    """Applicants by the start of their IIN/BIN or a part of their name, for the application
    form's applicant field (JSON); without a script the field takes a typed IIN/BIN."""
    response = jsonify(applicant_suggestions(request.args.get("q") or ""))
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- one application -------------------------------------------------------------------------


def _history(application_id: int) -> list[dict]:
    history = history_of(f"application:{application_id}")
    names = actor_labels(entry["actor"] for entry in history)
    for entry in history:
        entry["actor"] = names.get(entry["actor"], entry["actor"])
    return history


def _render_application(application, *, error=None, status=200, forms=None, confirm=None):
    view = application_view(application)
    staff = current_user.role in (Role.OFFICIAL, Role.AUDITOR)
    decision = view["decision"] or {}
    forms = forms or {}
    state = application.status
    approve_form = forms.get("approve") or ApproveForm(formdata=None)
    reject_form = forms.get("reject") or RejectForm(formdata=None)
    if confirm is None:
        # The forms decide on what this page shows; a confirmation carries on the version its
        # question was asked of (the posted form's own).
        approve_form.version.data = reject_form.version.data = entity_tag(view)
    context = {
        "app": view,
        "program_name": program_view(application.program_version)["name"],
        "amount": Decimal(view["eligibility"]["amount"]),
        "names": usernames([decision.get("first_approver_id"), decision.get("decided_by_id")]),
        "document": latest_document(application.id),
        "staff": staff,
        "facts": registry_facts(application.applicant) if staff else None,
        "history": _history(application.id) if staff else [],
        "may_decide": current_user.role is Role.OFFICIAL and state in statuses_allowing("approve"),
        "gave_first_approval": state is Status.AWAITING_SECOND_APPROVAL
        and application.first_approver_id == current_user.id,
        "may_withdraw": current_user.role is Role.APPLICANT
        and state in statuses_allowing("withdraw"),
        "approve_form": approve_form,
        "reject_form": reject_form,
        "withdraw_form": WithdrawForm(formdata=None),
        "flags_form": FlagsForm(formdata=None),
        "may_recheck": current_user.role is Role.OFFICIAL,
        "error": error,
        "confirm": confirm,
        **application_panel(application, forms.get("appeal")),
    }
    return render_template("workflow/application.html", **context), status


render_application = _render_application  # the appeal pages show the page with a refused appeal


def _visible(application_id: int):
    try:
        return visible_application(application_id, current_user)
    except NotFound:
        abort(404)


@bp.route("/applications/<int(max=2147483647):application_id>")
@page_roles(*READERS)
def application(application_id):
    return _render_application(_visible(application_id))


def _decide(application_id: int, form: FlaskForm, name: str, act, done: str, ask=None):
    """``ask(application)``: the confirmation a first POST answers with (checked like ``act``,
    so that a refusal shows at once); ``act`` runs only on the confirmation's POST."""
    application = _visible(application_id)
    if not form.validate_on_submit():
        return _render_application(application, status=422, forms={name: form})
    try:
        if ask is not None and not form.is_confirmed:
            question = ask(application)
            discard_changes()  # the checks wrote nothing; nothing is kept either
            return _render_application(application, forms={name: form}, confirm=question)
        act(application)
    except PreconditionFailed:  # changed since the page was shown: show it as it is now
        discard_changes()
        application = _visible(application_id)
        error = changed_since(application, current_user)
        return _render_application(application, error=error, status=409, forms={name: form})
    except DomainError as refusal:
        error = _show_refusal(form, refusal)
        application = _visible(application_id)
        return _render_application(
            application, error=error, status=refusal.status, forms={name: form}
        )
    flash(done)
    return redirect(url_for(".application", application_id=application_id))


@bp.route("/applications/<int(max=2147483647):application_id>/approve", methods=["POST"])
@page_roles(Role.OFFICIAL)
def approve(application_id):
    form = ApproveForm()
    amount_text = (form.amount.data or "").strip()

    def arguments(application) -> dict:
        amount = number_field(form, "amount") if amount_text else None
        if amount_text and amount is None:
            raise _FieldError("amount", form.amount.errors[0])
        return {
            "application": application,
            "user": current_user,
            "amount": amount,
            "comment": form.comment.data,
            "justification": form.justification.data,
        }

    def ask(application):
        plan = decisions.preview_approval(**arguments(application), if_match=form.seen)
        return approval_question(application, form, plan, request.path)

    def act(application):
        approval = decisions.approve_application(**arguments(application), if_match=form.seen)
        if approval.waitlisted:
            keep_changes()  # the waitlisting is logged and kept; the approval did not happen
            raise approval.refusal()

    return _decide(application_id, form, "approve", act, gettext("Approval recorded."), ask)


@bp.route("/applications/<int(max=2147483647):application_id>/flags", methods=["POST"])
@page_roles(Role.OFFICIAL)
def recompute(application_id):
    def act(application):
        flags.recompute_flags(application=application, actor=current_user.actor)

    return _decide(application_id, FlagsForm(), "flags", act, gettext("Risk flags checked again."))


@bp.route("/applications/<int(max=2147483647):application_id>/reject", methods=["POST"])
@page_roles(Role.OFFICIAL)
def reject(application_id):
    form = RejectForm()

    def ask(application):
        decisions.preview_rejection(
            application=application,
            user=current_user,
            reason=form.reason.data or "",
            if_match=form.seen,
        )
        return rejection_question(application, form, request.path)

    def act(application):
        decisions.reject_application(
            application=application,
            user=current_user,
            reason=form.reason.data or "",
            if_match=form.seen,
        )

    return _decide(application_id, form, "reject", act, gettext("Application rejected."), ask)


@bp.route("/applications/<int(max=2147483647):application_id>/withdraw", methods=["POST"])
@page_roles(Role.APPLICANT)
def withdraw(application_id):
    form = WithdrawForm()

    def ask(application):
        require_action("withdraw", application.status)
        return withdrawal_question(application, form, request.path)

    def act(application):
        services.withdraw_application(application=application, user=current_user)

    return _decide(application_id, form, "withdraw", act, gettext("Application withdrawn."), ask)


@bp.route("/applications/<int(max=2147483647):application_id>/decision.pdf")
@page_roles(*READERS)
def decision_pdf(application_id):
    application = _visible(application_id)
    document = latest_document(application.id)
    if document is None:
        abort(404)
    return pdf_response(document)


@bp.route("/applications/<int(max=2147483647):application_id>/decision.tlog-proof")
@page_roles(*READERS)
def decision_tlog_proof(application_id):
    application = _visible(application_id)
    document = latest_document(application.id)
    if document is None:
        abort(404)
    return tlog_proof_response(document)


# --- the applicant's own record --------------------------------------------------------------


@bp.route("/profile")
@page_roles(Role.APPLICANT)
def profile():
    return _render_profile(BankAccountForm(formdata=None))


def _render_profile(form: FlaskForm, *, status: int = 200):
    applicant = current_user.applicant
    snapshots = latest_snapshots()
    return render_template(
        "workflow/profile.html",
        applicant=applicant,
        district=applicant.district.name(current_language()),
        memberships=cooperatives_of(applicant),
        facts=registry_facts(applicant),
        snapshots=snapshots,
        masked_iban=mask_iban(applicant.iban) if applicant.iban else None,
        bank_form=form,
    ), status


# What the page says of a refused IBAN or BIC, by field and check (bank.InvalidBankAccount).
BANK_ERRORS = {
    ("iban", "empty"): _l("Enter the IBAN."),
    ("iban", "characters"): _l("Only Latin letters and digits."),
    ("iban", "country"): _l("A Kazakh IBAN starts with KZ."),
    ("iban", "length"): _l("A Kazakh IBAN has 20 characters."),
    ("iban", "check_digits"): _l("The check digits do not match: look for a typo."),
    ("iban", "structure"): _l("After KZ and 2 check digits: a 3-digit bank code, 13 characters."),
    ("bic", "empty"): _l("Enter the BIC."),
    ("bic", "characters"): _l("Only Latin letters and digits."),
    ("bic", "length"): _l("A BIC has 8 or 11 characters."),
    ("bic", "country"): _l("The BIC of a Kazakh bank has KZ in the 5th and 6th place."),
    ("bic", "structure"): _l("A BIC is 4 letters, KZ, 2 letters or digits, then 3 optional."),
}


@bp.route("/profile/bank-account", methods=["POST"])
@page_roles(Role.APPLICANT)
def profile_bank_account():
    form = BankAccountForm()
    if not form.validate_on_submit():
        return _render_profile(form, status=422)
    # The service's checks, first here for a translated text next to each field.
    refused = False
    for validate, field in ((validate_iban, form.iban), (validate_bic, form.bic)):
        try:
            validate(field.data or "")
        except InvalidBankAccount as error:
            field.errors = [str(BANK_ERRORS.get((error.field, error.reason), error.message))]
            refused = True
    if refused:
        return _render_profile(form, status=422)
    try:
        changed = applicants.set_bank_account(
            applicant=current_user.applicant,
            iban=form.iban.data,
            bic=form.bic.data,
            actor=current_user.actor,
        )
    except DomainError as refusal:
        _show_refusal(form, refusal)
        return _render_profile(form, status=refusal.status)
    flash(gettext("Bank account saved.") if changed else gettext("The bank account is unchanged."))
    return redirect(url_for(".profile"))
