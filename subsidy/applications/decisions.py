"""Officials' decisions: approval (with a second official above the program's threshold),
rejection, and the budget that approvals commit.

Lock order, the same in every writer: the log lock (a global writer lock), then the program's
row, then the application's row. The program row's ``committed_amount`` is changed only here,
under that lock, and a CHECK constraint keeps it within the budget even so."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from subsidy.accounts.models import Role, User
from subsidy.applicants.models import Applicant
from subsidy.applications.models import Application, Status, lock_application
from subsidy.applications.queries import queue_position_column
from subsidy.applications.transitions import move, require_action
from subsidy.audit.services import append_entry, lock_log
from subsidy.db import utcnow
from subsidy.decisions.services import issue_decision_document
from subsidy.errors import Conflict, Forbidden, ValidationFailed
from subsidy.extensions import db
from subsidy.programs.models import Program
from subsidy.programs.services import definition_of
from subsidy.unit_of_work import keep_changes

REASON_MAX = 2000


class BudgetExhausted(Conflict):
    code = "budget_exhausted"


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


def _first_in_queue(application: Application) -> Application | None:
    """The earliest waitlisted application of the program submitted before this one."""
    return db.session.execute(
        sa.select(Application)
        .where(
            Application.program_id == application.program_id,
            Application.status == Status.WAITLISTED,
            Application.id < application.id,
        )
        .order_by(Application.id)
        .limit(1)
    ).scalar_one_or_none()


def queue_position(application: Application) -> int | None:
    """Its place in its program's waitlist, the same column the lists select; None unless
    waitlisted."""
    if application.status is not Status.WAITLISTED:
        return None
    return db.session.execute(
        sa.select(queue_position_column()).where(Application.id == application.id)
    ).scalar_one()


def approve_application(
    *,
    application: Application,
    user: User,
    amount: Decimal | None = None,
    comment: str | None = None,
) -> Application:
    _require_official(user)
    program = _lock(application)
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
    if application.status is Status.SUBMITTED and amount > threshold:
        return _first_approval(application, user, amount, comment, threshold)
    return _final_approval(program, application, user, amount, comment)


def _first_approval(application, user, amount, comment, threshold) -> Application:
    move(application, Status.AWAITING_SECOND_APPROVAL)
    application.proposed_amount = amount
    application.first_approver_id = user.id
    application.first_approved_at = utcnow()
    application.decision_comment = comment
    db.session.flush()
    append_entry(
        actor=user.actor,
        action="application_first_approval",
        subject=f"application:{application.id}",
        data={"amount": f"{amount:.2f}", "threshold": f"{threshold:.2f}"},
    )
    return application


def _final_approval(program, application, user, amount, comment) -> Application:
    if program.remaining_amount < amount:
        return _waitlist(program, application, user, amount)
    # First come, first served: nobody is approved past an earlier application still waiting.
    ahead = _first_in_queue(application)
    if ahead is not None:
        raise Conflict(
            f"application {ahead.number} is waiting ahead of this one",
            {"queue": [f"{ahead.number} is first in the queue"]},
        )
    subject = f"application:{application.id}"
    program.committed_amount = program.committed_amount + amount
    previous = application.status
    move(application, Status.APPROVED)
    application.approved_amount = amount
    application.decided_by_id = user.id
    application.decided_at = utcnow()
    if comment:
        application.decision_comment = comment
    db.session.flush()
    entry = append_entry(
        actor=user.actor,
        action="application_approved",
        subject=subject,
        data={
            "amount": f"{amount:.2f}",
            "from": previous.value,
            "first_approver": application.first_approver_id,
            "program_committed": f"{program.committed_amount:.2f}",
        },
    )
    issue_decision_document(
        application=application, decision_index=entry["index"], actor=user.actor
    )
    return application


def _waitlist(program, application, user, amount) -> Application:
    """The budget cannot cover it: the application keeps its place in the first-come queue."""
    was_waiting = application.status is Status.WAITLISTED
    if not was_waiting:
        move(application, Status.WAITLISTED)
        application.waitlisted_at = utcnow()
        if application.proposed_amount is None:
            application.proposed_amount = amount
        db.session.flush()
        append_entry(
            actor=user.actor,
            action="application_waitlisted",
            subject=f"application:{application.id}",
            data={"amount": f"{amount:.2f}", "remaining": f"{program.remaining_amount:.2f}"},
        )
        keep_changes()
    position = queue_position(application)
    raise BudgetExhausted(
        f"the program's remaining budget ({program.remaining_amount:.2f}) does not cover "
        f"{amount:.2f}; the application is waitlisted at position {position}",
        {
            "budget": [f"remaining {program.remaining_amount:.2f}"],
            "queue_position": [str(position)],
        },
    )


def reject_application(*, application: Application, user: User, reason: str) -> Application:
    _require_official(user)
    _lock(application)
    require_action("reject", application.status)
    if linked_to(user, application.applicant):
        raise Forbidden("you are linked to this applicant and may not decide its application")
    reason = _bounded(reason, "reason")
    if not reason:
        raise ValidationFailed.field("reason", "a reason is required to reject")
    previous = application.status
    move(application, Status.REJECTED)
    application.reject_reason = reason
    application.decided_by_id = user.id
    application.decided_at = utcnow()
    db.session.flush()
    entry = append_entry(
        actor=user.actor,
        action="application_rejected",
        subject=f"application:{application.id}",
        data={"from": previous.value},
    )
    issue_decision_document(
        application=application, decision_index=entry["index"], actor=user.actor
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
