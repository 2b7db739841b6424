"""Reads of recovery cases: lists for enforcement, one case, the public totals."""

from __future__ import annotations

import json
from decimal import Decimal

import sqlalchemy as sa

from subsidy.access import Role
from subsidy.accounts.models import User
from subsidy.applicants.models import Applicant
from subsidy.applications.models import Application
from subsidy.clock import today
from subsidy.decisions.models import DecisionDocument
from subsidy.errors import NotFound, ValidationFailed
from subsidy.extensions import db
from subsidy.obligations.models import OVERDUE, CaseStatus, RecoveryCase

STAFF = (Role.OFFICIAL, Role.TREASURER, Role.AUDITOR)
STATUSES = (*[status.value for status in CaseStatus], OVERDUE)


def shown_status(case) -> str:
    """``overdue``: open past its due date (the list for enforcement)."""
    if case.status is CaseStatus.OPEN and case.due_on < today():
        return OVERDUE
    return case.status.value


def case_view(case: RecoveryCase, number: str | None = None) -> dict:
    if number is None:
        number = db.session.execute(
            sa.select(Application.number).where(Application.id == case.application_id)
        ).scalar_one()
    notice = (
        db.session.get(DecisionDocument, case.notice_document_id)
        if case.notice_document_id
        else None
    )
    return {
        "id": case.id,
        "application": case.application_id,
        "application_number": number,
        "obligation": case.obligation,
        "animals": json.loads(case.animals),
        "claimed": case.claimed_count,
        "paid_amount": case.paid_amount,
        "amount": case.amount,
        "repaid_amount": case.repaid_amount,
        "owed_amount": case.amount - case.repaid_amount
        if case.status is CaseStatus.OPEN
        else Decimal("0.00"),
        "opened_at": case.opened_at,
        "due_on": case.due_on,
        "status": shown_status(case),
        "snapshot": case.snapshot_id,
        "notice": None
        if notice is None
        else {"number": notice.number, "pdf_sha256": notice.pdf_sha256},
        "repayments": [
            {"amount": r.amount, "paid_on": r.paid_on, "recorded_at": r.recorded_at}
            for r in case.repayments
        ],
    }


def visible_case(case_id: int, user: User) -> RecoveryCase:
    case = db.session.get(RecoveryCase, case_id)
    if case is None or not _may_read(user, case):
        raise NotFound("no such recovery case")
    return case


def _may_read(user: User, case: RecoveryCase) -> bool:
    if user.role in STAFF:
        return True
    if user.role is not Role.APPLICANT:
        return False
    owner = db.session.execute(
        sa.select(Application.applicant_id).where(Application.id == case.application_id)
    ).scalar_one()
    return owner == user.applicant_id


def list_cases(*, user: User, status: str | None = None, limit: int = 200) -> list[dict]:
    """Cases, earliest due first; an applicant sees its own. ``status`` may be ``overdue``."""
    query = (
        sa.select(RecoveryCase, Application.number)
        .join(Application, Application.id == RecoveryCase.application_id)
        .order_by(RecoveryCase.due_on, RecoveryCase.id)
        .limit(limit)
    )
    if status is not None:
        if status not in STATUSES:
            raise ValidationFailed.field("status", f"must be one of {', '.join(STATUSES)}")
        if status == OVERDUE:
            query = query.where(
                RecoveryCase.status == CaseStatus.OPEN, RecoveryCase.due_on < today()
            )
        elif status == CaseStatus.OPEN.value:
            query = query.where(
                RecoveryCase.status == CaseStatus.OPEN, RecoveryCase.due_on >= today()
            )
        else:
            query = query.where(RecoveryCase.status == status)
    if user.role is Role.APPLICANT:
        query = query.where(Application.applicant_id == user.applicant_id)
    elif user.role not in STAFF:
        return []
    return [case_view(case, number) for case, number in db.session.execute(query).all()]


def recovery_document(case_id: int, user: User) -> DecisionDocument:
    case = visible_case(case_id, user)
    if case.notice_document_id is None:
        raise NotFound("the case has no notice")
    return db.session.get_one(DecisionDocument, case.notice_document_id)


def recovered_by_application(application_ids: list[int]) -> dict[int, Decimal]:
    """What was repaid on each application's recovery cases."""
    if not application_ids:
        return {}
    rows = db.session.execute(
        sa.select(RecoveryCase.application_id, sa.func.sum(RecoveryCase.repaid_amount))
        .where(RecoveryCase.application_id.in_(application_ids))
        .group_by(RecoveryCase.application_id)
    )
    return {app_id: Decimal(total) for app_id, total in rows}


def public_totals() -> dict:
    """For the public register: cases opened, amounts to recover, recovered, overdue."""
    row = db.session.execute(
        sa.select(
            sa.func.count(RecoveryCase.id),
            sa.func.coalesce(sa.func.sum(RecoveryCase.amount), 0),
            sa.func.coalesce(sa.func.sum(RecoveryCase.repaid_amount), 0),
        ).where(RecoveryCase.status != CaseStatus.CANCELLED)
    ).one()
    overdue = db.session.execute(
        sa.select(sa.func.count(RecoveryCase.id)).where(
            RecoveryCase.status == CaseStatus.OPEN, RecoveryCase.due_on < today()
        )
    ).scalar_one()
    return {
        "cases": row[0],
        "amount": Decimal(row[1]),
        "recovered": Decimal(row[2]),
        "overdue": overdue,
        "applicants": db.session.execute(
            sa.select(sa.func.count(sa.distinct(Application.applicant_id)))
            .select_from(RecoveryCase)
            .join(Application, Application.id == RecoveryCase.application_id)
            .join(Applicant, Applicant.id == Application.applicant_id)
            .where(RecoveryCase.status != CaseStatus.CANCELLED)
        ).scalar_one(),
    }
