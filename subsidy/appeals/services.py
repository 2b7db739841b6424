"""Filing and deciding appeals (Administrative Procedure Code: three months to appeal, an answer
within five working days).

What may be appealed: an application's rejection or ineligible result, and a recovery notice;
the window runs from the day the appealed decision was issued (the rejection letter, the
evaluation, the notice). One open appeal per appealed decision. An official who took part in
the appealed decision (its approver or rejecter) may not decide the appeal. Granted: an
application is evaluated again (``subsidy.applications.reevaluation``) and, if eligible, is
submitted again in its original place; a recovery case is cancelled. Dismissed: nothing changes.
Either way an appeal decision document is issued.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from subsidy.access import Role
from subsidy.accounts.models import User
from subsidy.appeals.models import Appeal, AppealStatus
from subsidy.appeals.versions import require_seen
from subsidy.applications.calendar import add_working_days
from subsidy.applications.models import Application
from subsidy.applications.reevaluation import reevaluate_application
from subsidy.applications.states import Status
from subsidy.audit.actions import Action
from subsidy.audit.services import append_entry, lock_log
from subsidy.clock import KAZAKHSTAN, today
from subsidy.db import utcnow
from subsidy.decisions.models import DecisionDocument
from subsidy.decisions.notices_issuing import issue_appeal_decision
from subsidy.decisions.queries import latest_document
from subsidy.decisions.services import linked_to
from subsidy.eligibility.obligations import add_months
from subsidy.errors import Conflict, Forbidden, NotFound, ValidationFailed
from subsidy.extensions import db
from subsidy.obligations.models import CaseStatus, RecoveryCase
from subsidy.obligations.services import cancel_case
from subsidy.preconditions import IfMatch

APPEAL_MONTHS = 3
ANSWER_WORKING_DAYS = 5
REASON_MAX = 4000
OUTCOMES = ("granted", "dismissed")


class AppealClosed(Conflict):
    code = "appeal_window_closed"


@dataclass(frozen=True)
class Appealable:
    """What an appeal is against: its subject key, the letter, the day it was issued."""

    application: Application
    subject: str
    appealed: str  # rejection | ineligible | recovery
    issued_on: date
    document_id: int | None
    document_number: str | None
    recovery: RecoveryCase | None = None
    stated_until: date | None = None  # the last day the letter itself states, if it does

    @property
    def last_day(self) -> date:
        """The last day the letter states (so the service and the paper agree by construction),
        else three months after the issue."""
        return self.stated_until or add_months(self.issued_on, APPEAL_MONTHS)


def _stated_until(document: DecisionDocument | None) -> date | None:
    """``appeal_until`` of a letter's content (decision letters from format 3, notices)."""
    if document is None:
        return None
    stated = json.loads(document.content).get("appeal_until")
    return date.fromisoformat(stated) if stated else None


def _day(moment) -> date:
    return moment.astimezone(KAZAKHSTAN).date()


def appealable_application(application: Application) -> Appealable:
    if application.status is Status.REJECTED:
        letter = latest_document(application.id)
        issued = _day(letter.issued_at if letter else application.decided_at or utcnow())
        return Appealable(
            application,
            f"application:{application.id}",
            "rejection",
            issued,
            letter.id if letter else None,
            letter.number if letter else None,
            stated_until=_stated_until(letter),
        )
    if application.status is Status.INELIGIBLE:
        return Appealable(
            application,
            f"application:{application.id}",
            "ineligible",
            _day(application.submitted_at),
            None,
            None,
        )
    raise Conflict(
        f"only a rejection or an ineligible result may be appealed; the application is "
        f"{application.status.value}",
        {"status": [f"is {application.status.value}"]},
    )


def appealable_recovery(case: RecoveryCase) -> Appealable:
    application = db.session.get(Application, case.application_id)
    assert application is not None
    if case.status is not CaseStatus.OPEN:
        raise Conflict(f"the case is {case.status.value}", {"status": [f"is {case.status.value}"]})
    notice = (
        db.session.get(DecisionDocument, case.notice_document_id)
        if case.notice_document_id
        else None
    )
    return Appealable(
        application,
        f"recovery:{case.id}",
        "recovery",
        _day(case.opened_at),
        case.notice_document_id,
        notice.number if notice else None,
        recovery=case,
        stated_until=_stated_until(notice),
    )


def _reason(text: str | None, field: str = "reason") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed.field(field, "is required")
    if len(text) > REASON_MAX:
        raise ValidationFailed.field(field, f"must be at most {REASON_MAX} characters")
    return text


def file_appeal(*, target: Appealable, user: User, reason: str) -> Appeal:
    """The applicant appeals, within three months of the decision's issue (409 later, or while
    another appeal of the same decision is open)."""
    application = target.application
    if user.role is not Role.APPLICANT or user.applicant_id != application.applicant_id:
        raise Forbidden("only the applicant may appeal its decision")
    reason = _reason(reason)
    day = today()
    if day > target.last_day:
        raise AppealClosed(
            f"the appeal window closed on {target.last_day.isoformat()} (three months after "
            f"{target.issued_on.isoformat()})",
            {"filed_on": [f"after {target.last_day.isoformat()}"]},
        )
    lock_log(db.session)
    open_one = db.session.execute(
        sa.select(Appeal.id).where(Appeal.subject == target.subject, Appeal.status == "open")
    ).scalar_one_or_none()
    if open_one is not None:
        raise Conflict(
            f"appeal {open_one} of this decision is still open",
            {"appeal": [f"{open_one} is open"]},
        )
    appeal = Appeal(
        application_id=application.id,
        recovery_id=target.recovery.id if target.recovery else None,
        subject=target.subject,
        appealed_document_id=target.document_id,
        reason=reason,
        filed_by_id=user.id,
        filed_at=utcnow(),
        filed_on=day,
        due_on=add_working_days(day, ANSWER_WORKING_DAYS),
        status=AppealStatus.OPEN,
    )
    db.session.add(appeal)
    db.session.flush()
    append_entry(
        actor=user.actor,
        action=Action.APPEAL_FILED,
        subject=f"appeal:{appeal.id}",
        data={
            "against": target.subject,
            "appealed": target.appealed,
            "document": target.document_number,
            "due_on": appeal.due_on.isoformat(),
        },
    )
    return appeal


def _lock_appeal(appeal_id: int) -> Appeal:
    lock_log(db.session)
    appeal = db.session.execute(
        sa.select(Appeal)
        .where(Appeal.id == appeal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id}")
    return appeal


def _took_part(user: User, application: Application) -> bool:
    return user.id in (application.decided_by_id, application.first_approver_id)


@dataclass(frozen=True)
class AppealDecided:
    appeal: Appeal
    reopened: bool = False
    eligible: bool | None = None


def decide_appeal(
    *, appeal_id: int, user: User, outcome: str, reason: str, if_match: IfMatch | None = None
) -> AppealDecided:
    """Grant or dismiss; an official who took part in the appealed decision gets 403.
    ``if_match``: the version of the appeal the official saw (412 if it changed), checked with
    the appeal's row locked."""
    if user.role is not Role.OFFICIAL:
        raise Forbidden("only officials decide appeals")
    if outcome not in OUTCOMES:
        raise ValidationFailed.field("outcome", f"must be one of {', '.join(OUTCOMES)}")
    reason = _reason(reason)
    appeal = _lock_appeal(appeal_id)
    require_seen(appeal, if_match)
    application = db.session.get(Application, appeal.application_id)
    assert application is not None
    if _took_part(user, application):
        raise Forbidden("you took part in the appealed decision and may not decide its appeal")
    if linked_to(user, application.applicant):
        raise Forbidden("you are linked to this applicant and may not decide its appeal")
    if appeal.status is not AppealStatus.OPEN:
        raise Conflict(
            f"the appeal is {appeal.status.value}", {"status": [f"is {appeal.status.value}"]}
        )
    appealed = (
        "recovery"
        if appeal.recovery_id
        else ("rejection" if application.status is Status.REJECTED else "ineligible")
    )
    appeal.status = AppealStatus(outcome)
    appeal.decided_by_id = user.id
    appeal.decided_at = utcnow()
    appeal.decision_reason = reason
    db.session.flush()
    logged = {"against": appeal.subject, "application": application.id}
    if outcome == "granted":
        entry = append_entry(
            actor=user.actor,
            action=Action.APPEAL_GRANTED,
            subject=f"appeal:{appeal.id}",
            data=logged,
        )
    else:
        entry = append_entry(
            actor=user.actor,
            action=Action.APPEAL_DISMISSED,
            subject=f"appeal:{appeal.id}",
            data=logged,
        )
    result = AppealDecided(appeal)
    consequence = _DISMISSED
    if outcome == "granted" and appeal.recovery_id is not None:
        case = db.session.get(RecoveryCase, appeal.recovery_id)
        assert case is not None
        cancel_case(case=case, actor=user.actor, appeal_id=appeal.id)
        consequence = _CANCELLED
    elif outcome == "granted":
        again = reevaluate_application(
            application=application, actor=user.actor, appeal_id=appeal.id
        )
        result = AppealDecided(appeal, again.reopened, again.eligible)
        consequence = _REOPENED if again.reopened else _STILL_INELIGIBLE
    appealed_number = None
    if appeal.appealed_document_id is not None:
        appealed_number = db.session.get_one(DecisionDocument, appeal.appealed_document_id).number
    document = issue_appeal_decision(
        application=application,
        appeal_id=appeal.id,
        appealed=appealed,
        appealed_number=appealed_number,
        filed_on=appeal.filed_on,
        appeal_reason=appeal.reason,
        outcome=outcome,
        decision_reason=reason,
        official_id=user.id,
        consequence=consequence,
        actor=user.actor,
        decision_index=entry["index"],
    )
    appeal.document_id = document.id
    db.session.flush()
    return result


_DISMISSED = {
    "ru": "Жалоба оставлена без удовлетворения: обжалованное решение остаётся в силе.",
    "kk": "Шағым қанағаттандырусыз қалдырылды: шағымданылған шешім күшінде қалады.",
    "en": "The appeal is dismissed: the appealed decision stands.",
}
_CANCELLED = {
    "ru": "Жалоба удовлетворена: требование о возврате субсидии отменено.",
    "kk": "Шағым қанағаттандырылды: субсидияны қайтару талабы күшін жойды.",
    "en": "The appeal is granted: the recovery is cancelled.",
}
_REOPENED = {
    "ru": "Жалоба удовлетворена: заявка проверена заново по данным реестров на сегодня, "
    "соответствует условиям и возвращена на рассмотрение с сохранением места в очереди.",
    "kk": "Шағым қанағаттандырылды: өтінім бүгінгі тізілім деректері бойынша қайта тексерілді, "
    "шарттарға сай және кезектегі орны сақталып, қарауға қайтарылды.",
    "en": "The appeal is granted: the application was evaluated again with today's registry "
    "data, is eligible and returns to review, keeping its place in the queue.",
}
_STILL_INELIGIBLE = {
    "ru": "Жалоба удовлетворена: заявка проверена заново по данным реестров на сегодня, "
    "но условиям программы по-прежнему не соответствует.",
    "kk": "Шағым қанағаттандырылды: өтінім бүгінгі тізілім деректері бойынша қайта тексерілді, "
    "бірақ бағдарлама шарттарына әлі де сай емес.",
    "en": "The appeal is granted: the application was evaluated again with today's registry "
    "data but still does not meet the program's conditions.",
}
