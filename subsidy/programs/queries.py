from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from subsidy.errors import NotFound, ValidationFailed
from subsidy.extensions import db
from subsidy.programs.models import Program, ProgramVersion


def current_versions() -> list[ProgramVersion]:
    latest = (
        sa.select(ProgramVersion.program_id, sa.func.max(ProgramVersion.version).label("version"))
        .group_by(ProgramVersion.program_id)
        .subquery()
    )
    query = (
        sa.select(ProgramVersion)
        .join(
            latest,
            sa.and_(
                ProgramVersion.program_id == latest.c.program_id,
                ProgramVersion.version == latest.c.version,
            ),
        )
        .join(Program)
        .options(contains_eager(ProgramVersion.program))  # the joined row, not a query each
        .order_by(Program.code)
    )
    return list(db.session.execute(query).scalars())


def program_by_code(code: str, *, field: str | None = None) -> Program:
    program = (
        db.session.execute(sa.select(Program).where(Program.code == code)).scalar_one_or_none()
        if code
        else None
    )
    if program is None:
        if field:
            raise ValidationFailed.field(field, f"no program with code {code!r}")
        raise NotFound(f"no program with code {code!r}")
    return program


def current_version(program: Program) -> ProgramVersion:
    return program.versions[-1]


def is_open(version: ProgramVersion, day: date) -> bool:
    return version.opens_on <= day <= version.closes_on
