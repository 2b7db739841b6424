"""Reads of applications, with who may see what."""

from __future__ import annotations

import sqlalchemy as sa

from subsidy.accounts.models import Role, User
from subsidy.applicants.models import Applicant
from subsidy.applications.models import AWAITING_DECISION, Application, Status
from subsidy.clock import today
from subsidy.errors import NotFound
from subsidy.extensions import db
from subsidy.programs.models import Program

# As the contract names them: the applicant itself, officials and auditors.
READERS = (Role.OFFICIAL, Role.AUDITOR)


def visible_application(application_id: int, user: User) -> Application:
    """The application if ``user`` may see it; 404 otherwise (an id says nothing to outsiders)."""
    application = db.session.get(Application, application_id)
    if application is None or not may_read(user, application):
        raise NotFound("no such application")
    return application


def may_read(user: User, application: Application) -> bool:
    if user.role in READERS:
        return True
    return user.role is Role.APPLICANT and user.applicant_id == application.applicant_id


def is_overdue(application: Application) -> bool:
    return application.status in AWAITING_DECISION and application.decision_due_on < today()


def list_applications(
    *,
    user: User,
    status: str | None = None,
    program: str | None = None,
    district: str | None = None,
    applicant: str | None = None,
    overdue: bool | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> tuple[list[Application], int | None]:
    """First-come order (by id); keyset pagination: ``cursor`` is the last id already seen."""
    query = sa.select(Application)
    if user.role is Role.APPLICANT:
        query = query.where(Application.applicant_id == user.applicant_id)
    if status:
        query = query.where(Application.status == Status(status))
    if program:
        query = query.where(
            Application.program_id.in_(sa.select(Program.id).where(Program.code == program))
        )
    if district or applicant:
        owners = sa.select(Applicant.id)
        if district:
            owners = owners.where(Applicant.district_code == district)
        if applicant:
            owners = owners.where(Applicant.iin_bin == applicant)
        query = query.where(Application.applicant_id.in_(owners))
    if overdue:
        query = query.where(
            Application.status.in_(AWAITING_DECISION), Application.decision_due_on < today()
        )
    if cursor is not None:
        query = query.where(Application.id > cursor)
    rows = list(db.session.execute(query.order_by(Application.id).limit(limit + 1)).scalars())
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor
