from __future__ import annotations

import sqlalchemy as sa

from subsidy.applicants.models import Applicant
from subsidy.errors import NotFound, ValidationFailed
from subsidy.extensions import db


def find_applicant(iin_bin: str) -> Applicant | None:
    return db.session.execute(
        sa.select(Applicant).where(Applicant.iin_bin == iin_bin)
    ).scalar_one_or_none()


def applicant_by_iin_bin(iin_bin: str, *, field: str = "applicant") -> Applicant:
    """For references inside a request body: an unknown id is a validation error on ``field``."""
    applicant = find_applicant(iin_bin)
    if applicant is None:
        raise ValidationFailed.field(field, "no registered applicant with this IIN/BIN")
    return applicant


def get_applicant(iin_bin: str) -> Applicant:
    """For the resource in the URL: an unknown id is a 404."""
    applicant = find_applicant(iin_bin)
    if applicant is None:
        raise NotFound("no registered applicant with this IIN/BIN")
    return applicant


def bank_account_view(applicant: Applicant) -> dict | None:
    """The account subsidies are paid to, for the applicant itself and officials only."""
    if applicant.iban is None:
        return None
    return {
        "iban": applicant.iban,
        "bic": applicant.bic,
        "changed_at": applicant.bank_account_changed_at,
    }


def cooperatives_of(applicant: Applicant) -> list[Applicant]:
    from subsidy.applicants.models import cooperative_members

    return list(
        db.session.execute(
            sa.select(Applicant)
            .join(cooperative_members, cooperative_members.c.cooperative_id == Applicant.id)
            .where(cooperative_members.c.member_id == applicant.id)
            .order_by(Applicant.iin_bin)
        ).scalars()
    )


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_applicants(text: str, *, limit: int = 10) -> list[Applicant]:
    """For an official filling in an application: by the first digits of an IIN/BIN, or by a
    part of the name as typed or capitalised ("бәйт", "Бәйт"; SQLite folds only ASCII case)."""
    text = text.strip()
    if not text:
        return []
    if text.isascii() and text.isdecimal():
        condition = Applicant.iin_bin.like(f"{_like(text)}%", escape="\\")
    else:
        spellings = {text, text.lower(), text.capitalize(), text.upper(), text.title()}
        condition = sa.or_(
            *(Applicant.name.like(f"%{_like(each)}%", escape="\\") for each in sorted(spellings))
        )
    return list(
        db.session.execute(
            sa.select(Applicant)
            .where(condition)
            .order_by(Applicant.name, Applicant.id)
            .limit(limit)
        ).scalars()
    )
