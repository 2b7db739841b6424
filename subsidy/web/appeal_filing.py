"""What the application and recovery pages show of appeals: the way to appeal and its last day,
the form, the appeals already filed; the recovery cases of an application; and the translated
sentence for a refusal of an appeal. Shared by the workflow, recovery and appeal pages (which
import it; it imports none of them)."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from subsidy.access import Role
from subsidy.appeals import services as appeals
from subsidy.appeals.queries import appeals_of
from subsidy.applications.states import Status
from subsidy.audit.actions import Action
from subsidy.audit.queries import history_of
from subsidy.clock import today
from subsidy.errors import DomainError, NotFound
from subsidy.obligations.queries import case_view, visible_case
from subsidy.preconditions import IfMatch
from subsidy.unit_of_work import discard_changes
from subsidy.web.labels import APPEAL_STATUS_LABELS, RECOVERY_STATUS_LABELS, STATUS_LABELS
from subsidy.web.messages import refusal_line

APPEALABLE = (Status.REJECTED, Status.INELIGIBLE)


class AppealForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the decision is wrong (your reason for the appeal)"),
        [Length(max=appeals.REASON_MAX)],
    )


class DecideForm(FlaskForm):
    # The service checks the outcome (a 422 naming it), so an unknown one is not the form's.
    outcome = RadioField(
        _l("Outcome"),
        choices=[
            SelectChoice("granted", _l("Grant the appeal")),
            SelectChoice("dismissed", _l("Dismiss the appeal")),
        ],
        validate_choice=False,
    )
    reason = TextAreaField(_l("Reason for the decision"), [Length(max=appeals.REASON_MAX)])
    # The tag of the appeal the page showed (the API's ETag): refused if it changed since. A
    # POST without it (not from the page) decides as the API does without If-Match.
    version = HiddenField()

    @property
    def seen(self) -> IfMatch | None:
        return IfMatch.version(self.version.data) if self.version.data else None


def refusal_text(refusal: DomainError) -> str:
    """A translated sentence for the refusals of filing or deciding an appeal; the service's
    own line (naming the field) for the rest."""
    fields = set(refusal.errors)
    if refusal.code == appeals.AppealClosed.code:
        return gettext(
            "The time to appeal has passed: an appeal is filed within 3 months of the decision."
        )
    if refusal.status == 409 and "appeal" in fields:
        return gettext("An appeal of this decision is already open: wait for its answer.")
    if refusal.status == 409 and "status" in fields:
        said = refusal.errors["status"][0].removeprefix("is ")
        names = (APPEAL_STATUS_LABELS, RECOVERY_STATUS_LABELS, STATUS_LABELS)
        name = next((str(m[said]) for m in names if said in m), said)
        return gettext("Not possible now: it is %(status)s.", status=name)
    if refusal.status == 403:
        return gettext(
            "You took part in the appealed decision or are linked to the applicant: another "
            "official decides this appeal."
        )
    if refusal.status == 422 and "reason" in fields:
        return gettext("Give the reason (at most %(max)s characters).", max=appeals.REASON_MAX)
    if refusal.status == 422 and "outcome" in fields:
        return gettext("Choose whether the appeal is granted or dismissed.")
    return refusal_line(refusal)


def show_refusal(form: FlaskForm, refusal: DomainError, text: str) -> str:
    """Undo what the refused call flushed; a field the form has gets the sentence beside it."""
    discard_changes()
    if refusal.status == 422:
        for field in refusal.errors:
            target = getattr(form, field, None)
            if target is not None and hasattr(target, "errors"):
                target.errors = [text]
    return text


def _panel(target: appeals.Appealable, filed: list[dict], form: FlaskForm | None) -> dict:
    """The way to appeal one decision: its last day, an open appeal of it, or the form."""
    open_one = next(
        (a for a in filed if a["against"] == target.subject and a["status"] == "open"), None
    )
    return {
        "appealed": target.appealed,
        "document_number": target.document_number,
        "last_day": target.last_day,
        "window_open": today() <= target.last_day,
        "open_appeal": open_one,
        "form": form or AppealForm(formdata=None),
    }


def application_panel(application, form: FlaskForm | None = None) -> dict:
    """For the application page: its appeals, its recovery cases, and for its applicant the way
    to appeal a rejection or an ineligible result."""
    filed = [a for a in appeals_of(application.id) if a["recovery"] is None]
    panel = None
    if current_user.role is Role.APPLICANT and application.status in APPEALABLE:
        panel = _panel(appeals.appealable_application(application), filed, form)
    return {"appeal_panel": panel, "appeals": filed, "recoveries": recoveries_of(application.id)}


def recovery_panel(case, form: FlaskForm | None = None) -> dict:
    """For the recovery page: the appeals of the notice and, for its applicant while the case
    is open, the way to appeal it."""
    filed = [a for a in appeals_of(case.application_id) if a["recovery"] == case.id]
    panel = None
    if current_user.role is Role.APPLICANT and case.status.value == "open":
        panel = _panel(appeals.appealable_recovery(case), filed, form)
    return {"appeal_panel": panel, "appeals": filed}


def recoveries_of(application_id: int) -> list[dict]:
    """The application's recovery cases, as its log opened them."""
    found = []
    for entry in history_of(f"application:{application_id}"):
        if entry["action"] == Action.RECOVERY_OPENED and entry["data"].get("case"):
            try:
                found.append(case_view(visible_case(entry["data"]["case"], current_user)))
            except NotFound:
                continue
    return found
