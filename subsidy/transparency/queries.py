"""The public register of decisions. A natural person (an IIN: individuals and peasant farms
registered on their head's IIN) is shown masked: initials instead of the name, no IIN."""

from __future__ import annotations

import re
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm

from subsidy.applicants.ids import id_kind
from subsidy.applicants.models import Applicant
from subsidy.applications.models import Application, Status
from subsidy.decisions.models import DecisionDocument
from subsidy.districts.models import District
from subsidy.extensions import db
from subsidy.programs.models import Program

DECIDED = (Status.APPROVED, Status.REJECTED)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def masked_name(name: str) -> str:
    """«Серікбаев Нұрлан Қайратұлы» -> «С. Н. Қ.»: enough to tell entries apart, not to identify."""
    initials = [word[0].upper() + "." for word in _WORD.findall(name)[:3]]
    return " ".join(initials) or "—"


def public_applicant(applicant: Applicant) -> dict:
    natural = id_kind(applicant.iin_bin) == "iin"
    return {
        "kind": applicant.kind.value,
        "name": masked_name(applicant.name) if natural else applicant.name,
        "iin_bin": None if natural else applicant.iin_bin,
        "masked": natural,
    }


def _base_query(program: str | None, district: str | None, outcome: str | None):
    query = (
        sa.select(Application, DecisionDocument)
        .join(DecisionDocument, DecisionDocument.application_id == Application.id)
        .where(Application.status.in_(DECIDED))
    )
    # The latest document of each application only. NOT EXISTS lets the database walk back from
    # the newest document and stop at the page size; a max() per application would group them all.
    newer = sa.orm.aliased(DecisionDocument)
    query = query.where(
        ~sa.exists().where(
            newer.application_id == DecisionDocument.application_id,
            newer.id > DecisionDocument.id,
        )
    )
    if program:
        query = query.join(Program, Program.id == Application.program_id).where(
            Program.code == program
        )
    if district:
        query = query.where(
            Application.applicant_id.in_(
                sa.select(Applicant.id).where(Applicant.district_code == district)
            )
        )
    if outcome:
        query = query.where(Application.status == Status(outcome))
    return query


def register_row(application: Application, document: DecisionDocument) -> dict:
    applicant = application.applicant
    return {
        "decision_number": document.number,
        "application_number": application.number,
        "decided_at": application.decided_at,
        "program": application.program.code,
        "program_name": {
            "ru": application.program_version.name_ru,
            "kk": application.program_version.name_kk,
            "en": application.program_version.name_en,
        },
        "district": applicant.district_code,
        "applicant": public_applicant(applicant),
        "outcome": application.status.value,
        "quantity": application.quantity,
        "unit": application.program_version.unit,
        "approved_amount": application.approved_amount,
        "pdf_sha256": document.pdf_sha256,
        "log_index": document.issued_log_index,
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
    rows = db.session.execute(query.order_by(DecisionDocument.id.desc()).limit(limit + 1)).all()
    items = [register_row(application, document) for application, document in rows[:limit]]
    next_cursor = rows[limit - 1][1].id if len(rows) > limit else None
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
    """Approved money by district and by program (the register's charts)."""
    approved = Application.status == Status.APPROVED
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
        "by_program": [
            {"code": code, "budget": budget, "amount": committed, "approved": count}
            for code, budget, committed, count in by_program
        ],
    }
