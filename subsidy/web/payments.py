"""The treasurer's pages: each program's money, its tranches, payment runs and their documents,
and the bank's status reports. Auditors read them; only treasurers write.

Thin like the other pages: a Flask-WTF form, one call of :mod:`subsidy.payments.services`, a
redirect. A refusal is shown on the page with its status, and nothing is written (the request's
one commit point rolls back an error status)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from subsidy.access import ACCESS_ATTR, Role, page_roles
from subsidy.accounts.queries import usernames
from subsidy.audit.queries import history_of
from subsidy.clock import today
from subsidy.errors import DomainError, NotFound
from subsidy.i18n import money
from subsidy.payments import queries, services
from subsidy.preconditions import IfMatch, PreconditionFailed, entity_tag
from subsidy.programs.queries import current_versions, program_by_code, program_view
from subsidy.unit_of_work import discard_changes
from subsidy.web.labels import RUN_STATUS_LABELS, actor_labels, register_labels
from subsidy.web.messages import refusal_line, translate_all

bp = Blueprint("payments", __name__, url_prefix="/payments")
bp.record_once(register_labels)

readers = page_roles(Role.TREASURER, Role.AUDITOR)
treasurers = page_roles(Role.TREASURER)
RUN_ID = "<int(max=2147483647):run_id>"
MAX_REPORT_BYTES = 5 * 1024 * 1024
TRANCHES_SHOWN = 50


# --- forms -----------------------------------------------------------------------------------


class TrancheForm(FlaskForm):
    program = HiddenField()
    amount = StringField(_l("Amount"), [Length(max=32)])
    released_on = StringField(_l("Released on"), [Length(max=10)])
    reference = StringField(
        _l("Reference (the treasury's document number)"),
        [Length(max=120, message=_l("At most 120 characters."))],
    )


class PrepareForm(FlaskForm):
    program = HiddenField()


class RunActionForm(FlaskForm):
    """Release or cancel (the run is in the URL) the run as the page showed it: ``version`` is
    the tag of what was rendered (the API's ``ETag``); the service refuses if the run changed
    since. A POST without it (not from this page) acts as the API does without ``If-Match``."""

    version = HiddenField()

    @property
    def seen(self) -> IfMatch | None:
        return IfMatch.version(self.version.data) if self.version.data else None


class StatusReportForm(FlaskForm):
    file = FileField(
        _l("The bank's status report (pain.002 XML)"),
        validators=[FileRequired(message=_l("Choose the status report file."))],
    )


def _amount(form: TrancheForm) -> Decimal | None:
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


def _released_on(form: TrancheForm) -> date | None:
    try:
        value = date.fromisoformat((form.released_on.data or "").strip())
    except ValueError:
        form.released_on.errors = [gettext("Enter a date (YYYY-MM-DD).")]
        return None
    if value > today():
        form.released_on.errors = [gettext("The date must not be in the future.")]
        return None
    return value


# --- what the pages say of a refusal ---------------------------------------------------------


def _refusal_text(refusal: DomainError, money_left: dict | None = None) -> str:
    """A translated sentence for the refusals a treasurer meets; the service's own line
    (naming the field) for the rest."""
    code, fields = refusal.code, set(refusal.errors)
    if code == "nothing_to_pay":
        available = money_left["available"] if money_left else None
        return gettext(
            "No application fits in the money available (%(available)s): record a tranche first.",
            available=money(available),
        )
    if refusal.status == 409 and "amount" in fields and money_left:
        return gettext(
            "The tranches would exceed the program's budget: at most %(left)s more.",
            left=money(money_left["budget"] - money_left["released"]),
        )
    if refusal.status == 403:
        return gettext("A run is released by a treasurer other than the one who prepared it.")
    if refusal.status == 409 and "bank_account" in fields:
        return gettext(
            "A bank account changed since the run was prepared (%(which)s): cancel the run "
            "and prepare it again.",
            which=refusal.errors["bank_account"][0],
        )
    if refusal.status == 409 and "status" in fields:
        return gettext("Not possible now: the run is %(status)s.", status=_run_status(refusal))
    return refusal_line(refusal)


def _run_status(refusal: DomainError) -> str:
    said = refusal.errors["status"][0].removeprefix("is ")
    return str(RUN_STATUS_LABELS.get(said, said))


def _show_field_errors(form: FlaskForm, refusal: DomainError) -> None:
    for field, messages in refusal.errors.items():
        target = getattr(form, field, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = translate_all(messages)


# --- the overview ----------------------------------------------------------------------------


def _programs(forms: dict[str, TrancheForm]) -> list[dict]:
    rows = []
    for version in current_versions():
        program = version.program
        tranche_form = forms.get(program.code) or TrancheForm(formdata=None)
        tranche_form.program.data = program.code
        if not tranche_form.released_on.data:
            tranche_form.released_on.data = today().isoformat()
        prepare_form = PrepareForm(formdata=None)
        prepare_form.program.data = program.code
        rows.append(
            {
                "code": program.code,
                "name": program_view(version)["name"],
                "money": queries.money_view(program),
                "tranche_form": tranche_form,
                "prepare_form": prepare_form,
            }
        )
    return rows


def _render_index(*, error: str | None = None, status: int = 200, forms=None):
    runs = queries.list_runs()
    tranches = queries.list_tranches()[:TRANCHES_SHOWN]
    names = usernames(
        [run["prepared_by_id"] for run in runs]
        + [run["released_by_id"] for run in runs]
        + [tranche["created_by_id"] for tranche in tranches]
    )
    return render_template(
        "payments/index.html",
        programs=_programs(forms or {}),
        tranches=tranches,
        runs=runs,
        names=names,
        may_write=current_user.role is Role.TREASURER,
        error=error,
        today=today(),
    ), status


@bp.route("")
@readers
def index():
    return _render_index()


def _program_of(form: FlaskForm):
    try:
        return program_by_code((form.program.data or "").strip()[:64], field="program")
    except DomainError:
        return None


@bp.route("/tranches", methods=["POST"])
@treasurers
def record_tranche():
    form = TrancheForm()
    program = _program_of(form)
    if program is None:
        return _render_index(error=gettext("Choose a program."), status=422)
    forms = {program.code: form}
    valid = form.validate_on_submit()
    amount, released_on = _amount(form), _released_on(form)
    if not valid or amount is None or released_on is None:
        return _render_index(error=gettext("Check the tranche's fields."), status=422, forms=forms)
    try:
        services.release_tranche(
            program=program,
            amount=amount,
            released_on=released_on,
            reference=form.reference.data,
            user=current_user,
        )
    except DomainError as refusal:
        discard_changes()
        if refusal.status == 422:  # a check the form did not make itself: next to its field
            _show_field_errors(form, refusal)
        text = _refusal_text(refusal, queries.money_view(program_by_code(program.code)))
        return _render_index(error=text, status=refusal.status, forms=forms)
    flash(
        gettext(
            "Tranche of %(amount)s recorded for %(program)s.",
            amount=money(amount),
            program=program.code,
        )
    )
    return redirect(url_for(".index"))


@bp.route("/runs", methods=["POST"])
@treasurers
def prepare_run():
    form = PrepareForm()
    program = _program_of(form) if form.validate_on_submit() else None
    if program is None:
        return _render_index(error=gettext("Choose a program."), status=422)
    try:
        preparation = services.prepare_run(program=program, user=current_user)
    except DomainError as refusal:
        discard_changes()
        text = _refusal_text(refusal, queries.money_view(program_by_code(program.code)))
        return _render_index(error=text, status=refusal.status)
    run = preparation.run
    flash(
        gettext(
            "Payment run %(id)s prepared (payments: %(count)s, total %(total)s). Another "
            "treasurer must release it.",
            id=run.id,
            count=run.item_count,
            total=money(run.total_amount),
        )
    )
    if preparation.waiting is not None:
        waiting = preparation.waiting
        flash(
            gettext(
                "The money did not reach application %(number)s (%(amount)s; %(left)s left): "
                "it waits for the next tranche.",
                number=waiting["application"].number,
                amount=money(waiting["amount"]),
                left=money(preparation.available - run.total_amount),
            )
        )
    return redirect(url_for(".run", run_id=run.id))


# --- one run ---------------------------------------------------------------------------------


def _may_open(endpoint: str) -> bool:
    """Whether the viewer may open that page (its access declaration), so no link leads to a
    refusal."""
    view = current_app.view_functions.get(endpoint)
    return current_user.role.value in (getattr(view, ACCESS_ATTR, ()) or ())


def _prepared_entry(history: list[dict]) -> dict:
    return next((h["data"] for h in history if h["action"] == "payment_run_prepared"), {})


def _waiting(prepared: dict) -> dict | None:
    """The first application the money did not reach when the run was prepared, as the log
    states it (its number from its submission's entry)."""
    application_id = prepared.get("waiting")
    if not application_id:
        return None
    submitted = history_of(f"application:{application_id}")
    number = next((h["data"].get("number") for h in submitted if h["data"].get("number")), None)
    return {"id": application_id, "number": number or f"#{application_id}"}


def _render_run(run_id: int, *, error=None, status=200, report_form=None):
    try:
        view = queries.run_view(queries.get_run(run_id))
    except NotFound:
        abort(404)
    history = history_of(f"payment_run:{run_id}")
    names = actor_labels(h["actor"] for h in history)
    for h in history:
        h["actor"] = names.get(h["actor"], h["actor"])
    prepared = _prepared_entry(history)
    treasurer = current_user.role is Role.TREASURER
    is_prepared = view["status"] == "prepared"
    action_form = RunActionForm(formdata=None)
    action_form.version.data = entity_tag(view)
    return render_template(
        "payments/run.html",
        run=view,
        names=usernames([view["prepared_by_id"], view["released_by_id"]]),
        history=history,
        prepared=prepared,
        waiting=_waiting(prepared),
        link_applications=_may_open("workflow.application"),
        may_release=treasurer and is_prepared and view["prepared_by_id"] != current_user.id,
        own_run=treasurer and is_prepared and view["prepared_by_id"] == current_user.id,
        may_cancel=treasurer and is_prepared,
        may_upload=treasurer and view["status"] == "released",
        action_form=action_form,
        report_form=report_form or StatusReportForm(formdata=None),
        error=error,
    ), status


@bp.route(f"/runs/{RUN_ID}")
@readers
def run(run_id):
    return _render_run(run_id)


def _act(run_id: int, act, done: str):
    form = RunActionForm()
    if not form.validate_on_submit():
        return _render_run(run_id, error=gettext("The form has expired; try again."), status=422)
    try:
        act(form.seen)
    except PreconditionFailed:  # changed since the page was shown: show it as it is now
        discard_changes()
        return _render_run(run_id, error=_changed_since(run_id), status=409)
    except DomainError as refusal:
        discard_changes()
        if refusal.status == 404:
            abort(404)
        return _render_run(run_id, error=_refusal_text(refusal), status=refusal.status)
    flash(done)
    return redirect(url_for(".run", run_id=run_id))


def _changed_since(run_id: int) -> str:
    status = queries.get_run(run_id).status.value
    return gettext(
        "This payment run changed since you opened the page: it is now “%(status)s”. Nothing "
        "was recorded: check it again below.",
        status=RUN_STATUS_LABELS.get(status, status),
    )


@bp.route(f"/runs/{RUN_ID}/release", methods=["POST"])
@treasurers
def release(run_id):
    return _act(
        run_id,
        lambda seen: services.release_run(run_id=run_id, user=current_user, if_match=seen),
        gettext("Payment run released: download its document and send it to the bank."),
    )


@bp.route(f"/runs/{RUN_ID}/cancel", methods=["POST"])
@treasurers
def cancel(run_id):
    return _act(
        run_id,
        lambda seen: services.cancel_run(run_id=run_id, user=current_user, if_match=seen),
        gettext("Payment run cancelled: its applications are back in the queue."),
    )


@bp.route(f"/runs/{RUN_ID}/pain.001.xml")
@readers
def document(run_id):
    try:
        data, sha256 = queries.run_document(run_id)
    except NotFound:
        abort(404)
    response = Response(data, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="RUN-{run_id}.pain.001.xml"'
    response.headers["X-Content-SHA256"] = sha256
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


@bp.route(f"/runs/{RUN_ID}/status", methods=["POST"])
@treasurers
def status_report(run_id):
    form = StatusReportForm()
    if not form.validate_on_submit():
        return _render_run(run_id, status=422, report_form=form)
    data = form.file.data.stream.read(MAX_REPORT_BYTES + 1)
    if len(data) > MAX_REPORT_BYTES:
        form.file.errors = [
            gettext("The file is larger than %(mb)s MB.", mb=MAX_REPORT_BYTES // 2**20)
        ]
        return _render_run(run_id, status=413, report_form=form)
    try:
        outcome = services.apply_status_report(run_id=run_id, data=data, actor=current_user.actor)
    except DomainError as refusal:
        discard_changes()
        if refusal.status == 404:
            abort(404)
        text = gettext("The status report was refused: %(reason)s", reason=_refusal_text(refusal))
        return _render_run(run_id, error=text, status=refusal.status, report_form=form)
    if outcome.applied:
        flash(
            gettext(
                "Status report applied: %(paid)s paid, %(returned)s returned, %(pending)s pending.",
                paid=outcome.paid,
                returned=outcome.returned,
                pending=outcome.pending,
            )
        )
    else:
        flash(gettext("This report was applied before: nothing changed."))
    return redirect(url_for(".run", run_id=run_id))
