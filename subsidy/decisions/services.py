"""Officials' decisions: approval (with a second official above the program's threshold),
rejection, the budget that approvals commit, and the decision document issued with them.

Lock order, the same in every writer: the log lock (a global writer lock), then the program's
row, then the application's row. The program row's ``committed_amount`` is changed only here,
under that lock, and a CHECK constraint keeps it within the budget even so.

The services decide and return what happened (:class:`Approval`); what a caller keeps of a
refusal is the caller's business: a waitlisting is a state change (logged, kept) that the HTTP
views answer with 409, since the official's approval did not take effect."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from subsidy.access import Role
from subsidy.accounts.models import User
from subsidy.applicants.models import Applicant
from subsidy.applications.flags import has_high_flag
from subsidy.applications.models import Application, lock_application
from subsidy.applications.queries import first_in_queue, queue_position
from subsidy.applications.states import Status, move, require_action
from subsidy.applications.versions import require_seen
from subsidy.audit.actions import Action
from subsidy.audit.services import append_entry, lock_log
from subsidy.clock import today
from subsidy.db import utcnow
from subsidy.decisions.issuing import Decision, Rendered, draft, issue_decision_document
from subsidy.errors import Conflict, DomainError, Forbidden, ValidationFailed
from subsidy.extensions import db
from subsidy.preconditions import IfMatch
from subsidy.programs.models import Program
from subsidy.programs.queries import definition_of

REASON_MAX = 2000


class BudgetExhausted(Conflict):
    code = "budget_exhausted"


class Outcome(enum.StrEnum):
    FIRST_APPROVAL = "first_approval"  # now awaiting a second official
    APPROVED = "approved"
    WAITLISTED = "waitlisted"  # the budget does not cover it: it keeps its place in the queue


@dataclass(frozen=True)
class Approval:
    """What an approval did. ``waitlisted`` is not an approval: :meth:`refusal` is the error a
    view answers with (the waitlisting itself is logged and is to be kept)."""

    application: Application
    outcome: Outcome
    amount: Decimal
    remaining: Decimal | None = None
    queue_position: int | None = None

    @property
    def waitlisted(self) -> bool:
        return self.outcome is Outcome.WAITLISTED

    def refusal(self) -> BudgetExhausted:
        return BudgetExhausted(
            f"the program's remaining budget ({self.remaining:.2f}) does not cover "
            f"{self.amount:.2f}; the application is waitlisted at position {self.queue_position}",
            {
                "budget": [f"remaining {self.remaining:.2f}"],
                "queue_position": [str(self.queue_position)],
            },
        )


@dataclass(frozen=True)
class _Moment:
    """When the official decided: the service's day and the UTC time, read once."""

    day: date
    at: datetime

    @classmethod
    def now(cls) -> _Moment:
        return cls(today(), utcnow())


def _require_official(user: User) -> None:
    if user.role is not Role.OFFICIAL:
        raise Forbidden("only officials decide applications")


def linked_to(user: User, applicant: Applicant) -> bool:
    """The official is the applicant, or a member of the applying cooperative."""
    if user.iin is None:
        return False
    return user.iin == applicant.iin_bin or any(m.iin_bin == user.iin for m in applicant.members)


def _lock(application: Application) -> Program:
    lock_log(db.session)
    # populate_existing: the program may already sit in the session, loaded before the lock;
    # its committed amount must be the one read under the lock, or approvals lose updates.
    program = db.session.execute(
        sa.select(Program)
        .where(Program.id == application.program_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one()
    lock_application(application)
    return program


def _decision_of(application: Application, moment: _Moment) -> Decision:
    """The decision as the application now records it (after the change, under the lock)."""
    approved = application.status is Status.APPROVED
    return Decision(
        outcome="approved" if approved else "rejected",
        decided_by_id=application.decided_by_id,
        decided_on=moment.day,
        issued_at=moment.at,
        first_approver_id=application.first_approver_id,
        approved_amount=application.approved_amount if approved else None,
        reject_reason=application.reject_reason,
        comment=application.decision_comment,
        justification=application.justification if approved else None,
    )


def _draft(application: Application, decision: Decision) -> Rendered | None:
    """The document rendered before the lock; None if the decision cannot be foreseen (the
    refusal, if any, is raised again under the lock, from the state read there)."""
    try:
        return draft(application, decision)
    except DomainError:
        return None


# --- approval --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    final: bool  # False: a first approval, a second official must follow
    amount: Decimal
    comment: str | None
    threshold: Decimal
    justification: str | None  # the one given now, or an earlier approval's
    high_flags: tuple[str, ...]


def _justification(application: Application, given: str | None) -> tuple[str | None, tuple]:
    """A high risk flag is no refusal, but the official must write why they approve anyway."""
    given = _bounded(given, "justification")
    high = tuple(has_high_flag(application.id))
    justification = given or application.justification
    if high and not justification:
        raise ValidationFailed.field(
            "justification",
            f"the application has a high risk flag ({', '.join(high)}): "
            "write why it is approved all the same",
        )
    return justification, high


def _plan(application: Application, user: User, amount, comment, justification=None) -> _Plan:
    require_action("approve", application.status)
    if linked_to(user, application.applicant):
        raise Forbidden("you are linked to this applicant and may not decide its application")
    comment = _bounded(comment, "comment")
    second = application.status is Status.AWAITING_SECOND_APPROVAL
    if second and application.first_approver_id == user.id:
        raise Conflict(
            "a second approval must come from a different official",
            {"official": ["already gave the first approval"]},
        )
    # Once an amount was approved (first approval, or an approval the budget could not cover),
    # later approvals may lower it, never raise it.
    ceiling = application.proposed_amount or application.requested_amount
    if amount is not None:
        _check_amount(amount, ceiling)
    amount = ceiling if amount is None else amount
    threshold = definition_of(application.program_version).second_approval_above
    final = not (application.status is Status.SUBMITTED and amount > threshold)
    justification, high = _justification(application, justification)
    return _Plan(final, amount, comment, threshold, justification, high)


def _draft_approval(
    application, user, amount, comment, justification, moment: _Moment
) -> Rendered | None:
    """Before the lock: the document of the final approval this will likely be, if any."""
    try:
        plan = _plan(application, user, amount, comment, justification)
    except DomainError:
        return None
    if not plan.final or application.program.remaining_amount < plan.amount:
        return None
    decision = Decision(
        outcome="approved",
        decided_by_id=user.id,
        decided_on=moment.day,
        issued_at=moment.at,
        first_approver_id=application.first_approver_id,
        approved_amount=plan.amount,
        comment=plan.comment or application.decision_comment,
        justification=plan.justification,
    )
    return _draft(application, decision)


def approve_application(
    *,
    application: Application,
    user: User,
    amount: Decimal | None = None,
    comment: str | None = None,
    justification: str | None = None,
    if_match: IfMatch | None = None,
) -> Approval:
    """Approve; above the program's threshold a first approval. An application with a high
    risk flag needs a ``justification`` (422 naming it), kept and printed in the decision.
    ``if_match``: the version the official saw (412 if it changed), checked under the lock."""
    _require_official(user)
    moment = _Moment.now()
    drafted = _draft_approval(application, user, amount, comment, justification, moment)
    program = _lock(application)
    require_seen(application, if_match)
    plan = _plan(application, user, amount, comment, justification)
    if not plan.final:
        return _first_approval(application, user, plan, moment)
    return _final_approval(program, application, user, plan, moment, drafted)


def preview_approval(
    *,
    application: Application,
    user: User,
    amount: Decimal | None = None,
    comment: str | None = None,
    justification: str | None = None,
    if_match: IfMatch | None = None,
) -> _Plan:
    """What ``approve_application`` would do (final or first approval, the amount), or the
    refusal it would raise, without writing anything: the pages ask before they act."""
    _require_official(user)
    require_seen(application, if_match)
    return _plan(application, user, amount, comment, justification)


def _first_approval(application, user, plan: _Plan, moment: _Moment) -> Approval:
    move(application, Status.AWAITING_SECOND_APPROVAL)
    application.proposed_amount = plan.amount
    application.first_approver_id = user.id
    application.first_approved_at = moment.at
    application.decision_comment = plan.comment
    application.justification = plan.justification
    db.session.flush()
    append_entry(
        actor=user.actor,
        action=Action.APPLICATION_FIRST_APPROVAL,
        subject=f"application:{application.id}",
        data={
            "amount": f"{plan.amount:.2f}",
            "threshold": f"{plan.threshold:.2f}",
            **_justified(plan),
        },
    )
    return Approval(application, Outcome.FIRST_APPROVAL, plan.amount)


def _final_approval(program, application, user, plan: _Plan, moment, drafted) -> Approval:
    amount = plan.amount
    if program.remaining_amount < amount:
        return _waitlist(program, application, user, amount)
    # First come, first served: nobody is approved past an earlier application still waiting.
    ahead = first_in_queue(application)
    if ahead is not None:
        raise Conflict(
            f"application {ahead.number} is waiting ahead of this one",
            {"queue": [f"{ahead.number} is first in the queue"]},
        )
    program.committed_amount = program.committed_amount + amount
    previous = application.status
    move(application, Status.APPROVED)
    application.approved_amount = amount
    application.decided_by_id = user.id
    application.decided_at = moment.at
    if plan.comment:
        application.decision_comment = plan.comment
    application.justification = plan.justification
    db.session.flush()
    entry = append_entry(
        actor=user.actor,
        action=Action.APPLICATION_APPROVED,
        subject=f"application:{application.id}",
        data={
            "amount": f"{amount:.2f}",
            "from": previous.value,
            "first_approver": application.first_approver_id,
            "program_committed": f"{program.committed_amount:.2f}",
            **_justified(plan),
        },
    )
    issue_decision_document(
        application=application,
        decision=_decision_of(application, moment),
        decision_index=entry["index"],
        actor=user.actor,
        drafted=drafted,
    )
    return Approval(application, Outcome.APPROVED, amount)


def _justified(plan: _Plan) -> dict:
    """What the log keeps of a justification: the high flags it answers and its SHA-256 (the
    text, which may name people, is in the decision document, whose hash is logged)."""
    if not plan.high_flags:
        return {}
    digest = hashlib.sha256((plan.justification or "").encode("utf-8")).hexdigest()
    return {"high_flags": list(plan.high_flags), "justification_sha256": digest}


def _waitlist(program, application, user, amount) -> Approval:
    """The budget cannot cover it: the application keeps its place in the first-come queue."""
    if application.status is not Status.WAITLISTED:
        move(application, Status.WAITLISTED)
        application.waitlisted_at = utcnow()
        if application.proposed_amount is None:
            application.proposed_amount = amount
        db.session.flush()
        append_entry(
            actor=user.actor,
            action=Action.APPLICATION_WAITLISTED,
            subject=f"application:{application.id}",
            data={"amount": f"{amount:.2f}", "remaining": f"{program.remaining_amount:.2f}"},
        )
    return Approval(
        application,
        Outcome.WAITLISTED,
        amount,
        remaining=program.remaining_amount,
        queue_position=queue_position(application),
    )


# --- rejection -------------------------------------------------------------------------------


def _reject_reason(application: Application, user: User, reason: str) -> str:
    require_action("reject", application.status)
    if linked_to(user, application.applicant):
        raise Forbidden("you are linked to this applicant and may not decide its application")
    reason = _bounded(reason, "reason")
    if not reason:
        raise ValidationFailed.field("reason", "a reason is required to reject")
    return reason


def preview_rejection(
    *, application: Application, user: User, reason: str, if_match: IfMatch | None = None
) -> str:
    """The reason ``reject_application`` would record, or the refusal it would raise."""
    _require_official(user)
    require_seen(application, if_match)
    return _reject_reason(application, user, reason)


def reject_application(
    *, application: Application, user: User, reason: str, if_match: IfMatch | None = None
) -> Application:
    """Reject with a reason; ``if_match`` as for an approval."""
    _require_official(user)
    moment = _Moment.now()
    drafted = None
    try:
        drafted_reason = _reject_reason(application, user, reason)
    except DomainError:
        pass
    else:
        drafted = _draft(
            application,
            Decision(
                outcome="rejected",
                decided_by_id=user.id,
                decided_on=moment.day,
                issued_at=moment.at,
                first_approver_id=application.first_approver_id,
                reject_reason=drafted_reason,
                comment=application.decision_comment,
            ),
        )
    _lock(application)
    require_seen(application, if_match)
    reason = _reject_reason(application, user, reason)
    previous = application.status
    move(application, Status.REJECTED)
    application.reject_reason = reason
    application.decided_by_id = user.id
    application.decided_at = moment.at
    db.session.flush()
    entry = append_entry(
        actor=user.actor,
        action=Action.APPLICATION_REJECTED,
        subject=f"application:{application.id}",
        data={"from": previous.value},
    )
    issue_decision_document(
        application=application,
        decision=_decision_of(application, moment),
        decision_index=entry["index"],
        actor=user.actor,
        drafted=drafted,
    )
    return application


def _check_amount(amount: Decimal, ceiling: Decimal) -> None:
    """Every caller (API, page, script) gets the same rules: positive, whole tiyn, ≤ ceiling."""
    if not amount.is_finite() or amount <= 0:
        raise ValidationFailed.field("amount", "must be greater than 0")
    if amount.as_tuple().exponent < -2:
        raise ValidationFailed.field("amount", "must have at most 2 decimal places")
    if amount > ceiling:
        raise ValidationFailed.field("amount", f"must not exceed {ceiling:.2f}")


def _bounded(text: str | None, field: str) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if len(text) > REASON_MAX:
        raise ValidationFailed.field(field, f"must be at most {REASON_MAX} characters")
    return text or None
