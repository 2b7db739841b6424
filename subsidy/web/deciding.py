"""The forms that decide an application (approve, reject, withdraw, check the flags again) and
the step that asks before any of them acts.

Nothing is decided by one tap: the first POST of a form checks what it asks (the same checks the
service makes, so a refusal is shown at once) and answers with a confirmation that states what
will be recorded; only a POST carrying ``confirmed=1`` from that confirmation acts. It is a page,
not a script's dialog, so it works without JavaScript and a script cannot skip it."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from subsidy.applications.states import Status, statuses_allowing
from subsidy.i18n import money
from subsidy.preconditions import IfMatch
from subsidy.web.labels import STATUS_LABELS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ConfirmedForm(FlaskForm):
    # Set by the confirmation's own button; a first POST without it only asks.
    confirmed = HiddenField()

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed.data == "1"


class SeenForm(ConfirmedForm):
    """A decision on the application as the page showed it: ``version`` is the tag of what was
    rendered (the API's ``ETag``), carried through the confirmation; the service refuses the
    decision if the application changed since (``subsidy.preconditions``). A POST without it
    (not from this page: a script) decides as the API does without ``If-Match``."""

    version = HiddenField()

    @property
    def seen(self) -> IfMatch | None:
        return IfMatch.version(self.version.data) if self.version.data else None


class ApproveForm(SeenForm):
    amount = StringField(_l("Amount (optional, lower than requested)"), [Length(max=32)])
    comment = TextAreaField(_l("Comment"), [Length(max=2000)])
    justification = TextAreaField(
        _l("Justification (required with a high risk flag)"), [Length(max=2000)]
    )


class RejectForm(SeenForm):
    reason = TextAreaField(
        _l("Reason"),
        [
            DataRequired(
                message=_l(
                    "Write the reason for the rejection: the applicant reads it in the decision."
                )
            ),
            Length(max=2000),
        ],
        filters=[_strip],
    )


class WithdrawForm(ConfirmedForm):
    pass


class FlagsForm(FlaskForm):
    pass


def changed_since(application, user) -> str:
    """What the page says when the application changed between the page and the decision
    (nothing was recorded): what it is now, as far as one line can say it."""
    status = application.status
    if status is Status.AWAITING_SECOND_APPROVAL and application.first_approver_id != user.id:
        return gettext(
            "Another official gave the first approval of this application since you opened "
            "the page. Nothing was recorded: check it again below before deciding."
        )
    if status not in statuses_allowing("approve"):
        return gettext(
            "This application is now “%(status)s”: it was decided since you opened the page. "
            "Nothing was recorded.",
            status=STATUS_LABELS.get(status, status),
        )
    return gettext(
        "This application changed since you opened the page (its flags, evaluation, amounts "
        "or approvals). Nothing was recorded: check it again below before deciding."
    )


@dataclass
class Confirmation:
    """What the page asks before a form acts: a question, the facts it will record, and the
    form's own fields carried again, with ``confirmed=1``."""

    action: str  # approve | reject | withdraw
    url: str
    question: str
    note: str
    button: str
    form: FlaskForm
    facts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def carried(self) -> list[tuple[str, str]]:
        """(name, value) of each field to send again, the CSRF token and ``confirmed`` aside."""
        return [
            (item.name, item.data or "")
            for item in self.form
            if item.name not in ("csrf_token", "confirmed") and item.data
        ]


def approval_question(application, form: ApproveForm, plan, url: str) -> Confirmation:
    """``plan``: what the approval will do (``decisions.services.preview_approval``)."""
    amount = money(plan.amount)
    if plan.final:
        question = gettext(
            "Approve application %(number)s for %(amount)s?",
            number=application.number,
            amount=amount,
        )
        note = gettext("The decision letter is issued at once and cannot be taken back.")
    else:
        question = gettext(
            "Give the first approval of application %(number)s for %(amount)s?",
            number=application.number,
            amount=amount,
        )
        note = gettext(
            "Above %(threshold)s a second official must approve as well.",
            threshold=money(plan.threshold),
        )
    facts = [(gettext("Approved amount"), amount)]
    if form.comment.data:
        facts.append((gettext("Comment"), form.comment.data))
    if form.justification.data:
        facts.append((gettext("Justification"), form.justification.data))
    return Confirmation("approve", url, question, note, gettext("Yes, approve"), form, facts=facts)


def rejection_question(application, form: RejectForm, url: str) -> Confirmation:
    return Confirmation(
        "reject",
        url,
        gettext("Reject application %(number)s?", number=application.number),
        gettext("The applicant reads this reason in the decision letter and may appeal it."),
        gettext("Yes, reject"),
        form,
        facts=[(gettext("Reason"), form.reason.data or "")],
    )


def withdrawal_question(application, form: WithdrawForm, url: str) -> Confirmation:
    return Confirmation(
        "withdraw",
        url,
        gettext("Withdraw application %(number)s?", number=application.number),
        gettext("A withdrawn application cannot be taken up again."),
        gettext("Yes, withdraw"),
        form,
    )
