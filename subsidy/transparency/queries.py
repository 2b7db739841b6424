"""The public register of decisions, the waiting list of each program in payment order and the
Auyl Amanaty cooperatives. A natural person (an IIN: individuals and peasant farms registered on
their head's IIN) is shown masked: initials instead of the name, no IIN."""

from __future__ import annotations

import functools
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm
from flask import current_app

from subsidy.applicants.disclosure import public_applicant
from subsidy.applicants.models import Applicant, ApplicantKind, cooperative_members
from subsidy.applications.models import Application, Status
from subsidy.applications.queries import fixed_limit
from subsidy.applications.states import FUNDED_STATUSES
from subsidy.decisions.models import DecisionDocument
from subsidy.districts.models import District
from subsidy.errors import ValidationFailed
from subsidy.extensions import db
from subsidy.obligations.models import RecoveryCase
from subsidy.payments.models import PaymentStatus
from subsidy.payments.queries import money_view
from subsidy.programs.models import Program, ProgramVersion
from subsidy.programs.queries import current_versions

# Only what a register row shows: never a document's PDF or content, nor a version's definition.
_COLUMNS = (
    DecisionDocument.id.label("document_id"),
    DecisionDocument.number.label("decision_number"),
    DecisionDocument.pdf_sha256,
    DecisionDocument.issued_log_index,
    # The document's own outcome and time: an application a granted appeal reopened is
    # "submitted" again, without a decision time, yet its letter stays a rejection.
    DecisionDocument.outcome.label("document_outcome"),
    DecisionDocument.issued_at,
    Application.number.label("application_number"),
    Application.decided_at,
    Application.status,
    Application.quantity,
    Application.approved_amount,
    Application.payment_status,
    Application.payment_amount,
    Application.paid_on,
    # What was repaid on the application's recovery cases (breached obligations).
    sa.select(sa.func.coalesce(sa.func.sum(RecoveryCase.repaid_amount), 0))
    .where(RecoveryCase.application_id == Application.id)
    .correlate(Application)
    .scalar_subquery()
    .label("recovered"),
    Program.code.label("program"),
    ProgramVersion.name_ru,
    ProgramVersion.name_kk,
    ProgramVersion.name_en,
    ProgramVersion.unit,
    Applicant.kind,
    Applicant.name,
    Applicant.iin_bin,
    Applicant.district_code,
)


@functools.cache
def _latest_documents():
    """Each decided application with its latest document (a register row's columns); built once,
    on first use (the mappers must be configured first)."""
    # A document is issued only with an approval or a rejection, both final, so every
    # documented application is decided. (Filtering on the application's status as well made
    # PostgreSQL expect few matches and start parallel workers for a 50-row page.)
    # NOT EXISTS a newer document lets the database walk back from the newest document and stop
    # at the page size; a max() per application would group them all.
    newer = sa.orm.aliased(DecisionDocument)
    return (
        sa.select(*_COLUMNS)
        .select_from(DecisionDocument)
        .join(Application, Application.id == DecisionDocument.application_id)
        .join(Program, Program.id == Application.program_id)
        .join(ProgramVersion, ProgramVersion.id == Application.program_version_id)
        .join(Applicant, Applicant.id == Application.applicant_id)
        .where(
            # Decisions only: appeal decisions and recovery notices are documents too.
            DecisionDocument.kind == "decision",
            ~sa.exists().where(
                newer.application_id == DecisionDocument.application_id,
                newer.kind == "decision",
                newer.id > DecisionDocument.id,
            ),
        )
    )


def _base_query(program: str | None, district: str | None, outcome: str | None):
    query = _latest_documents()
    if program:
        query = query.where(Program.code == program)
    if district:
        query = query.where(Applicant.district_code == district)
    if outcome:
        query = query.where(DecisionDocument.outcome == Status(outcome).value)
    return query


def register_row(row) -> dict:
    rejected = row.document_outcome == Status.REJECTED.value
    return {
        "decision_number": row.decision_number,
        "application_number": row.application_number,
        "decided_at": row.decided_at or row.issued_at,
        "program": row.program,
        "program_name": {"ru": row.name_ru, "kk": row.name_kk, "en": row.name_en},
        "district": row.district_code,
        "applicant": public_applicant(row),
        "outcome": "rejected" if rejected else "approved",
        "quantity": row.quantity,
        "unit": row.unit,
        "approved_amount": row.approved_amount,
        "paid_amount": row.payment_amount if row.paid_on is not None else None,
        "paid_on": row.paid_on,
        "recovered_amount": None if rejected else Decimal(row.recovered).quantize(Decimal("0.01")),
        "pdf_sha256": row.pdf_sha256,
        "log_index": row.issued_log_index,
    }


def register_page(
    *,
    program: str | None = None,
    district: str | None = None,
    outcome: str | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> tuple[list[dict], int | None]:
    """Decisions, newest first; ``cursor`` is the last document id already seen."""
    query = _base_query(program, district, outcome)
    if cursor is not None:
        query = query.where(DecisionDocument.id < cursor)
    query = query.order_by(DecisionDocument.id.desc()).limit(fixed_limit(limit + 1))
    rows = db.session.execute(query).all()
    items = [register_row(row) for row in rows[:limit]]
    next_cursor = rows[limit - 1].document_id if len(rows) > limit else None
    return items, next_cursor


def register_all(**filters):
    """Every row, for the open-data downloads, streamed page by page."""
    cursor = None
    while True:
        items, cursor = register_page(**filters, cursor=cursor, limit=500)
        yield from items
        if cursor is None:
            return


def summary() -> dict:
    """Approved money by district (every district, by code, with its names) and by program
    (every program, by code, with its current version's names): the register's charts and
    filters.

    Summing every approved application takes tens of milliseconds at a million applications, so
    each process keeps the last answer with the state it was computed from. The totals change
    only with a final approval, which issues a decision document in the same transaction
    (approved is final: nothing takes an approval back; a payment moves it on to paid, which
    counts as approved here, with the same amount: the totals hold no paid money, so payments
    need not be part of the state), and budgets and names only with a newly
    loaded program version (districts change only by migration); so the state is the newest
    decision document and the newest program version, each with its hash, so that an id used
    again after a rollback is not taken for the same one. Submissions and other log entries
    leave it alone (the opening-day rush does not sum the register again on every page). The
    state is read first and the totals after it, so a kept answer is never older than its state;
    any decision or program load since changes the state and the totals are summed again.
    Callers must not change the answer."""
    state = _register_state()
    kept = current_app.extensions.get(_SUMMARY)
    if kept is not None and kept[0] == state:
        return kept[1]
    answer = _summary()
    current_app.extensions[_SUMMARY] = (state, answer)
    return answer


_SUMMARY = "subsidy.transparency.summary"


def _register_state() -> tuple:
    return tuple(db.session.execute(_STATE).one())


def _newest(*columns, order):
    return sa.select(*columns).order_by(order.desc()).limit(1).scalar_subquery()


_STATE = sa.select(
    _newest(DecisionDocument.id, order=DecisionDocument.id),
    _newest(DecisionDocument.content_sha256, order=DecisionDocument.id),
    _newest(ProgramVersion.id, order=ProgramVersion.id),
    _newest(ProgramVersion.rules_version, order=ProgramVersion.id),
)


def _summary() -> dict:
    approved = Application.status.in_(FUNDED_STATUSES)
    names = {
        version.program.code: {"ru": version.name_ru, "kk": version.name_kk, "en": version.name_en}
        for version in current_versions()
    }
    by_district = db.session.execute(
        sa.select(
            District.code,
            District.name_ru,
            District.name_kk,
            District.name_en,
            sa.func.count(Application.id),
            sa.func.coalesce(sa.func.sum(Application.approved_amount), 0),
        )
        .select_from(District)
        .outerjoin(Applicant, Applicant.district_code == District.code)
        .outerjoin(Application, sa.and_(Application.applicant_id == Applicant.id, approved))
        .group_by(District.code, District.name_ru, District.name_kk, District.name_en)
        .order_by(District.code)
    ).all()
    by_program = db.session.execute(
        sa.select(
            Program.code,
            Program.budget_amount,
            Program.committed_amount,
            sa.func.count(Application.id),
        )
        .select_from(Program)
        .outerjoin(Application, sa.and_(Application.program_id == Program.id, approved))
        .group_by(Program.code, Program.budget_amount, Program.committed_amount)
        .order_by(Program.code)
    ).all()
    return {
        "by_district": [
            {
                "code": code,
                "name": {"ru": ru, "kk": kk, "en": en},
                "approved": count,
                "amount": Decimal(amount),
            }
            for code, ru, kk, en, count, amount in by_district
        ],
        # With the current version's name (the register's filter and chart show it; the API's
        # schema leaves it out).
        "by_program": [
            {
                "code": code,
                "name": names.get(code),
                "budget": budget,
                "amount": committed,
                "approved": count,
            }
            for code, budget, committed, count in by_program
        ],
    }


# --- the waiting list: a program's applications awaiting money, in payment order ---------------

# What an entry's ``status`` says: approved and waiting for a payment run; in a released or
# prepared run, waiting for the bank; sent back by the bank, waiting again in its place;
# eligible but beyond the budget, waiting for money to be committed.
QUEUE_STATUSES = ("approved", "scheduled", "returned", "waitlisted")

_QUEUE_COLUMNS = (
    Application.id,
    Application.number,
    Application.submitted_at,
    Application.status,
    Application.payment_status,
    Application.approved_amount,
    Application.proposed_amount,
    Application.requested_amount,
    Applicant.kind,
    Applicant.name,
    Applicant.iin_bin,
)


def _waiting(entity, program_id):
    """``entity`` (Application or an alias) awaits money in the program: approved and not paid
    (no payment yet, one in a run, or one the bank returned), or waitlisted."""
    return sa.and_(
        entity.program_id == program_id,
        entity.status.in_((Status.APPROVED, Status.WAITLISTED)),
        sa.or_(
            entity.payment_status.is_(None),
            entity.payment_status != PaymentStatus.PAID.value,
        ),
    )


def waiting_list(*, program: str, cursor: int | None = None, limit: int = 50) -> dict:
    """``{summary, items, next}``: the program's money and the entries of its waiting list in
    payment order (first come, first served: by id); ``cursor`` is the last id already seen.
    An entry's position is the number of entries before it plus one, counted in the same
    statement as the page, so pages agree with each other. 422 naming ``program`` for an unknown
    code. Two queries, whatever the page size."""
    earlier = sa.orm.aliased(Application)
    found = db.session.execute(
        sa.select(
            Program,
            sa.select(sa.func.count())
            .select_from(earlier)
            .where(_waiting(earlier, Program.id))
            .scalar_subquery(),
        ).where(Program.code == program)
    ).one_or_none()
    if found is None:
        raise ValidationFailed.field("program", f"no program with code {program!r}")
    record, waiting = found
    money = money_view(record)  # arrears: committed and not yet paid
    shown = ("budget", "committed", "released", "scheduled", "paid", "arrears")
    summary = {"program": record.code, **{key: money[key] for key in shown}, "waiting": waiting}
    query = (
        sa.select(*_QUEUE_COLUMNS)
        .join(Applicant, Applicant.id == Application.applicant_id)
        .where(_waiting(Application, record.id))
    )
    if cursor is not None:
        ahead = (
            sa.select(sa.func.count())
            .select_from(earlier)
            .where(_waiting(earlier, record.id), earlier.id <= cursor)
            .scalar_subquery()
        )
        query = query.add_columns(ahead.label("ahead")).where(Application.id > cursor)
    query = query.order_by(Application.id).limit(fixed_limit(limit + 1))
    rows = db.session.execute(query).all()
    offset = rows[0].ahead if rows and cursor is not None else 0
    items = [_queue_item(offset + n, row) for n, row in enumerate(rows[:limit], start=1)]
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return {"summary": summary, "items": items, "next": next_cursor}


def _queue_item(position: int, row) -> dict:
    if row.status is Status.WAITLISTED:
        status, amount = "waitlisted", row.proposed_amount or row.requested_amount
    else:
        status, amount = "approved", row.approved_amount
        if row.payment_status in (PaymentStatus.SCHEDULED.value, PaymentStatus.RETURNED.value):
            status = row.payment_status
    return {
        "position": position,
        "number": row.number,
        "submitted_at": row.submitted_at,
        "amount": amount,
        "status": status,
        "applicant": public_applicant(row),
    }


# --- the Auyl Amanaty cooperatives -------------------------------------------------------------

# Auyl Amanaty («Ауыл аманаты», the village's trust): the programme plans 31 agricultural
# cooperatives for the East Kazakhstan region; the page shows how many are registered so far.
AUYL_AMANATY_PLANNED = 31


def cooperatives() -> dict:
    """``{totals, items}``: every applicant of kind cooperative (by district, then name) with its
    number of members, its applications (withdrawn ones aside), the money approved (approved or
    paid applications) and paid; ``totals`` counts the cooperatives registered, those that
    applied, were approved, were paid, beside the planned number. One query."""
    funded = Application.status.in_(FUNDED_STATUSES)
    paid = Application.payment_status == PaymentStatus.PAID.value
    members = (
        sa.select(sa.func.count())
        .where(cooperative_members.c.cooperative_id == Applicant.id)
        .scalar_subquery()
    )
    # Driven from the cooperatives: their applications are found by the applicant index (a
    # grouped subquery over applications would read every application in the register).
    rows = db.session.execute(
        sa.select(
            Applicant.kind,
            Applicant.name,
            Applicant.iin_bin,
            Applicant.district_code,
            members.label("members"),
            sa.func.sum(sa.case((Application.status != Status.WITHDRAWN, 1), else_=0)).label(
                "applications"
            ),
            sa.func.sum(sa.case((funded, 1), else_=0)).label("funded"),
            sa.func.sum(sa.case((funded, Application.approved_amount))).label("approved_amount"),
            sa.func.sum(sa.case((paid, 1), else_=0)).label("paid"),
            sa.func.sum(sa.case((paid, Application.payment_amount))).label("paid_amount"),
        )
        .outerjoin(Application, Application.applicant_id == Applicant.id)
        .where(Applicant.kind == ApplicantKind.COOPERATIVE)
        .group_by(
            Applicant.id,
            Applicant.kind,
            Applicant.name,
            Applicant.iin_bin,
            Applicant.district_code,
        )
        .order_by(Applicant.district_code, Applicant.name, Applicant.iin_bin)
    ).all()
    zero = Decimal("0.00")
    items = []
    for row in rows:
        shown = public_applicant(row)  # a cooperative has a BIN: shown as it is
        items.append(
            {
                "bin": shown["iin_bin"],
                "name": shown["name"],
                "district": row.district_code,
                "members": row.members or 0,
                "applications": row.applications or 0,
                "approved_amount": row.approved_amount or zero,
                "paid_amount": row.paid_amount or zero,
            }
        )
    totals = {
        "planned": AUYL_AMANATY_PLANNED,
        "registered": len(rows),
        "applied": sum(1 for row in rows if row.applications),
        "approved": sum(1 for row in rows if row.funded),
        "paid": sum(1 for row in rows if row.paid),
        "approved_amount": sum((item["approved_amount"] for item in items), zero),
        "paid_amount": sum((item["paid_amount"] for item in items), zero),
    }
    return {"totals": totals, "items": items}
