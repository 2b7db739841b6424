"""Reads of applications, with who may see what."""

from __future__ import annotations

import functools
import json

import sqlalchemy as sa
import sqlalchemy.orm

from subsidy.access import Role
from subsidy.accounts.models import User
from subsidy.applicants.models import Applicant
from subsidy.applications.flags import flags_of
from subsidy.applications.models import (
    AWAITING_DECISION,
    Application,
    ApplicationClaim,
    ApplicationFlag,
    Status,
)
from subsidy.clock import today
from subsidy.errors import NotFound
from subsidy.extensions import db
from subsidy.programs.models import Program, ProgramVersion

# As the contract names them: the applicant itself, officials and auditors.
READERS = (Role.OFFICIAL, Role.AUDITOR)


def fixed_limit(count: int):
    """A LIMIT written into the SQL text rather than sent as a parameter: psycopg prepares a
    statement run often, and with no parameter left PostgreSQL reuses one plan for it instead of
    planning every page again (~0.3-1.5 ms for the register's joins)."""
    return sa.bindparam("fixed_limit", count, type_=sa.Integer, literal_execute=True)


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


# What a list shows of each application: one flat row, no model objects, nothing else loaded
# (a version's definition, the applicant's district and members stay in the database).
LIST_COLUMNS = (
    Application.id,
    Application.number,
    Application.status,
    Application.program_id,
    Program.code.label("program"),
    ProgramVersion.version.label("program_version"),
    ProgramVersion.unit,
    Application.applicant_id,
    Applicant.iin_bin,
    Applicant.kind,
    Applicant.name,
    Applicant.district_code,
    Application.quantity,
    Application.rate,
    Application.requested_amount,
    Application.submitted_at,
    Application.submitted_on,
    Application.decision_due_on,
    Application.proposed_amount,
    Application.approved_amount,
    Application.first_approver_id,
    Application.first_approved_at,
    Application.decided_by_id,
    Application.decided_at,
    Application.reject_reason,
    Application.decision_comment,
    Application.justification,
    Application.flags_computed_at,
    Application.payment_status,
    Application.payment_run_id,
    Application.payment_amount,
    Application.paid_on,
    Application.payment_reason,
)


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
    evaluation: bool = False,
    flag: str | None = None,
    sort: str | None = None,
) -> tuple[list[sa.Row], int | None]:
    """Rows of ``LIST_COLUMNS``, ``queue_position`` (and the stored evaluation JSON as
    ``evaluation`` if asked), in first-come order (by id), or with ``sort="risk"`` the most
    severely flagged first; keyset pagination: ``cursor`` is where the last row seen stands
    (its id; by risk, ``rank * 2**31 + id``). ``flag``: only applications with that flag."""
    columns = (*LIST_COLUMNS, queue_position_column())
    if evaluation:
        columns = (*columns, Application.evaluation)
    query = (
        sa.select(*columns)
        .join(Program, Program.id == Application.program_id)
        .join(ProgramVersion, ProgramVersion.id == Application.program_version_id)
        .join(Applicant, Applicant.id == Application.applicant_id)
    )
    if user.role is Role.APPLICANT:
        query = query.where(Application.applicant_id == user.applicant_id)
    if status:
        query = query.where(Application.status == Status(status))
    if program:
        query = query.where(Program.code == program)
    if district:
        query = query.where(Applicant.district_code == district)
    if applicant:
        query = query.where(Applicant.iin_bin == applicant)
    if overdue:
        query = query.where(
            Application.status.in_(AWAITING_DECISION), Application.decision_due_on < today()
        )
    if flag:
        query = query.where(
            sa.exists().where(
                ApplicationFlag.application_id == Application.id, ApplicationFlag.code == flag
            )
        )
    if sort == "risk":
        rank = risk_rank_column()
        query = query.add_columns(rank.label("risk_rank"))
        if cursor is not None:
            after_rank, after_id = divmod(cursor, RISK_CURSOR)
            query = query.where(sa.tuple_(rank, Application.id) > sa.tuple_(after_rank, after_id))
        query = query.order_by(rank, Application.id)
    else:
        if cursor is not None:
            query = query.where(Application.id > cursor)
        query = query.order_by(Application.id)
    rows = list(db.session.execute(query.limit(fixed_limit(limit + 1))))
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = last.risk_rank * RISK_CURSOR + last.id if sort == "risk" else last.id
    return rows[:limit], next_cursor


RISK_CURSOR = 2**31  # a risk-sorted cursor: rank * RISK_CURSOR + id
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
UNFLAGGED_RANK = 3


def risk_rank_column():
    """0 for an application with a high flag, 1 medium, 2 low, 3 none."""
    severity = sa.case(SEVERITY_RANK, value=ApplicationFlag.severity)
    worst = (
        sa.select(sa.func.min(severity))
        .where(ApplicationFlag.application_id == Application.id)
        .scalar_subquery()
    )
    return sa.func.coalesce(worst, UNFLAGGED_RANK)


@functools.cache
def queue_position_column():
    """A waitlisted application's place in its program's queue (:func:`queue_position`)
    as a column; null for any other status. Built once, on first use (mappers configured)."""
    earlier = sa.orm.aliased(Application)
    # Counted in the partial index ix_applications_waitlist: only the entries ahead are read.
    ahead = (
        sa.select(sa.func.count() + 1)
        .select_from(earlier)
        .where(
            earlier.program_id == Application.program_id,
            earlier.status == Status.WAITLISTED,
            earlier.id < Application.id,
        )
        .scalar_subquery()
    )
    return sa.case((Application.status == Status.WAITLISTED, ahead)).label("queue_position")


def queue_position(application: Application) -> int | None:
    """Its place in its program's waitlist, the same column the lists select; None unless
    waitlisted."""
    if application.status is not Status.WAITLISTED:
        return None
    return db.session.execute(
        sa.select(queue_position_column()).where(Application.id == application.id)
    ).scalar_one()


def first_in_queue(application: Application) -> Application | None:
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


# --- read models: what the API and the pages show of an application ---------------------------


def decision_view(application) -> dict | None:
    if application.status in (Status.SUBMITTED, Status.INELIGIBLE):
        return None
    outcome = {
        Status.APPROVED: "approved",
        Status.PAID: "approved",
        Status.REJECTED: "rejected",
        Status.WITHDRAWN: "withdrawn",
    }.get(application.status)
    return {
        "outcome": outcome,
        "proposed_amount": application.proposed_amount,
        "approved_amount": application.approved_amount,
        "first_approver_id": application.first_approver_id,
        "first_approved_at": application.first_approved_at,
        "decided_by_id": application.decided_by_id,
        "decided_at": application.decided_at,
        "reason": application.reject_reason,
        "comment": application.decision_comment,
        "justification": application.justification,
    }


def payment_view(application) -> dict | None:
    """The application's latest payment (``subsidy.payments`` mirrors it onto the application's
    row): ``scheduled`` in a run, ``paid``, or ``returned`` by the bank with its reason."""
    if application.payment_status is None:
        return None
    return {
        "status": application.payment_status,
        "run": application.payment_run_id,
        "amount": application.payment_amount,
        "paid_on": application.paid_on,
        "reason": application.payment_reason,
    }


def _view(
    application,
    *,
    program: str,
    version: int,
    unit: str,
    applicant: dict,
    overdue: bool,
    position: int | None,
) -> dict:
    """Everything the API shows of an application but its eligibility, from a model object or a
    list row (``queries.LIST_COLUMNS``): both carry the application's own columns by name."""
    return {
        "id": application.id,
        "number": application.number,
        "status": application.status.value,
        "program": program,
        "program_version": version,
        "applicant": applicant,
        "unit": unit,
        "quantity": application.quantity,
        "rate": format(application.rate.normalize(), "f"),
        "requested_amount": application.requested_amount,
        "submitted_at": application.submitted_at,
        "submitted_on": application.submitted_on,
        "decision_due_on": application.decision_due_on,
        "overdue": overdue,
        "queue_position": position,
        "decision": decision_view(application),
        "payment": payment_view(application),
        "flags_computed_at": application.flags_computed_at,
    }


def application_view(application) -> dict:
    applicant = application.applicant
    view = _view(
        application,
        program=application.program.code,
        version=application.program_version.version,
        unit=application.program_version.unit,
        applicant={
            "id": applicant.id,
            "iin_bin": applicant.iin_bin,
            "kind": applicant.kind.value,
            "name": applicant.name,
            "district": applicant.district_code,
        },
        overdue=is_overdue(application),
        position=queue_position(application),
    )
    view["eligibility"] = json.loads(application.evaluation)
    view["animals"] = claimed_animals(application.id)
    view["flags"] = flags_of([application.id]).get(application.id, [])
    return view


def claimed_animals(application_id: int) -> list[str]:
    """The identified animals an application claims, by id."""
    return claimed_animals_of([application_id]).get(application_id, [])


def claimed_animals_of(application_ids: list[int]) -> dict[int, list[str]]:
    """The identified animals each of these applications claims, by id."""
    if not application_ids:
        return {}
    rows = db.session.execute(
        sa.select(ApplicationClaim.application_id, ApplicationClaim.claim_key)
        .where(
            ApplicationClaim.application_id.in_(application_ids),
            ApplicationClaim.claim_key.startswith("animal:", autoescape=True),
        )
        .order_by(ApplicationClaim.application_id, ApplicationClaim.claim_key)
    )
    found: dict[int, list[str]] = {}
    for application_id, key in rows:
        found.setdefault(application_id, []).append(key.removeprefix("animal:"))
    return found


def list_views(rows) -> list[dict]:
    """``application_view`` of each list row (``queries.list_applications``) without its
    eligibility; the claimed animals of the whole page in one query."""
    ids = [row.id for row in rows]
    animals, flags = claimed_animals_of(ids), flags_of(ids)
    views = [
        _view(
            row,
            program=row.program,
            version=row.program_version,
            unit=row.unit,
            applicant={
                "id": row.applicant_id,
                "iin_bin": row.iin_bin,
                "kind": row.kind.value,
                "name": row.name,
                "district": row.district_code,
            },
            overdue=is_overdue(row),
            position=row.queue_position,
        )
        for row in rows
    ]
    for view in views:
        view["animals"] = animals.get(view["id"], [])
        view["flags"] = flags.get(view["id"], [])
    return views
