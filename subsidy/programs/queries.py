from __future__ import annotations

import functools
import json
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from subsidy.clock import today
from subsidy.errors import NotFound, ValidationFailed
from subsidy.extensions import db
from subsidy.programs.definition import ProgramDefinition, program_from_json
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


def program_view(version: ProgramVersion) -> dict:
    """What the API and the pages show of a program's current version."""
    definition = definition_of(version)
    program = version.program
    day = today()
    rate = definition.rate.value_on(day)
    canonical = definition.canonical_dict()
    return {
        "code": program.code,
        "version": version.version,
        "rules_version": version.rules_version,
        "name": definition.name,
        "reference": canonical.get("reference"),
        "window": {"opens": definition.opens, "closes": definition.closes},
        "open": is_open(version, day),
        "applicant_kinds": list(definition.applicant_kinds),
        "unit": definition.unit,
        "rate": None if rate is None else str(rate),
        "rates": [
            {"starts": start, "rate": str(value)} for start, value in definition.rate.changes
        ],
        "max_amount_per_applicant": definition.max_amount_per_applicant,
        "second_approval_above": definition.second_approval_above,
        "decision_days": definition.decision_days,
        "budget": program.budget_amount,
        "committed": program.committed_amount,
        "remaining": program.remaining_amount,
        # The money side (subsidy.payments): released by the treasury, scheduled in live payment
        # runs, paid as the bank reported.
        "released": program.released_amount,
        "scheduled": program.scheduled_amount,
        "paid": program.paid_amount,
        "criteria": canonical["criteria"],
    }


def definition_of(version: ProgramVersion) -> ProgramDefinition:
    return _parsed_definition(version.definition)


@functools.lru_cache(maxsize=256)
def _parsed_definition(canonical_json: str) -> ProgramDefinition:
    """Versions never change (a trigger refuses it), and definitions are frozen dataclasses: a
    version's text is parsed once per process instead of on every request."""
    return program_from_json(json.loads(canonical_json))
