"""Reads of appeals: lists with deadlines and the overdue ones, one appeal."""

from __future__ import annotations

import sqlalchemy as sa

from subsidy.access import Role
from subsidy.accounts.models import User
from subsidy.appeals.models import Appeal, AppealStatus
from subsidy.applications.models import Application
from subsidy.clock import today
from subsidy.decisions.models import DecisionDocument
from subsidy.errors import NotFound, ValidationFailed
from subsidy.extensions import db

STAFF = (Role.OFFICIAL, Role.AUDITOR)
STATUSES = tuple(status.value for status in AppealStatus)


def is_overdue(appeal) -> bool:
    return appeal.status is AppealStatus.OPEN and appeal.due_on < today()


def appeal_view(appeal: Appeal, number: str | None = None) -> dict:
    if number is None:
        number = db.session.execute(
            sa.select(Application.number).where(Application.id == appeal.application_id)
        ).scalar_one()
    document = db.session.get(DecisionDocument, appeal.document_id) if appeal.document_id else None
    return {
        "id": appeal.id,
        "application": appeal.application_id,
        "application_number": number,
        "recovery": appeal.recovery_id,
        "against": appeal.subject,
        "reason": appeal.reason,
        "status": appeal.status.value,
        "filed_at": appeal.filed_at,
        "filed_on": appeal.filed_on,
        "due_on": appeal.due_on,
        "overdue": is_overdue(appeal),
        "decided_by_id": appeal.decided_by_id,
        "decided_at": appeal.decided_at,
        "decision_reason": appeal.decision_reason,
        "document": None
        if document is None
        else {"number": document.number, "pdf_sha256": document.pdf_sha256},
    }


def visible_appeal(appeal_id: int, user: User) -> Appeal:
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None or not may_read(user, appeal.application_id):
        raise NotFound("no such appeal")
    return appeal


def may_read(user: User, application_id: int) -> bool:
    if user.role in STAFF:
        return True
    if user.role is not Role.APPLICANT:
        return False
    owner = db.session.execute(
        sa.select(Application.applicant_id).where(Application.id == application_id)
    ).scalar_one_or_none()
    return owner is not None and owner == user.applicant_id


def list_appeals(
    *, user: User, status: str | None = None, overdue: bool | None = None, limit: int = 200
) -> list[dict]:
    """Appeals, earliest due first; an applicant sees its own."""
    query = (
        sa.select(Appeal, Application.number)
        .join(Application, Application.id == Appeal.application_id)
        .order_by(Appeal.due_on, Appeal.id)
        .limit(limit)
    )
    if status is not None:
        if status not in STATUSES:
            raise ValidationFailed.field("status", f"must be one of {', '.join(STATUSES)}")
        query = query.where(Appeal.status == status)
    if overdue is not None:
        late = sa.and_(Appeal.status == AppealStatus.OPEN, Appeal.due_on < today())
        query = query.where(late if overdue else ~late)
    if user.role is Role.APPLICANT:
        query = query.where(Application.applicant_id == user.applicant_id)
    elif user.role not in STAFF:
        return []
    return [appeal_view(appeal, number) for appeal, number in db.session.execute(query).all()]


def appeals_of(application_id: int) -> list[dict]:
    rows = db.session.execute(
        sa.select(Appeal).where(Appeal.application_id == application_id).order_by(Appeal.id)
    ).scalars()
    return [appeal_view(appeal) for appeal in rows]


def appeal_document(appeal_id: int, user: User) -> DecisionDocument:
    appeal = visible_appeal(appeal_id, user)
    if appeal.document_id is None:
        raise NotFound("the appeal is not decided yet")
    return db.session.get_one(DecisionDocument, appeal.document_id)
