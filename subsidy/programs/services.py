"""Loading a program file: a new immutable version, its budget, and the audit entry."""

from __future__ import annotations

import sqlalchemy as sa

from subsidy.audit.actions import Action
from subsidy.audit.canonical import canonical_bytes
from subsidy.audit.services import append_entry, lock_log
from subsidy.db import utcnow
from subsidy.errors import Conflict, ValidationFailed
from subsidy.extensions import db
from subsidy.programs.definition import ProgramDefinition
from subsidy.programs.models import Program, ProgramVersion
from subsidy.programs.queries import current_versions, definition_of
from subsidy.programs.testcases import ProgramTest, run_program_tests


def require_tests_pass(definition: ProgramDefinition, tests: tuple[ProgramTest, ...]) -> None:
    for position, outcome in enumerate(run_program_tests(definition, tests)):
        if not outcome.passed:
            raise ValidationFailed.field(
                f"tests[{position}]", f"{outcome.name}: {'; '.join(outcome.problems)}"
            )


def _require_one_period_per_group(definition: ProgramDefinition) -> None:
    """Programs of one funding group count claims in one kind of period, or a lifetime claim
    and a calendar-year claim on the same animal would never meet."""
    if definition.funding_group is None:
        return
    for version in current_versions():
        other = definition_of(version)
        if other.code == definition.code or other.group != definition.group:
            continue
        if other.funding_period != definition.funding_period:
            raise ValidationFailed.field(
                "funding_period",
                f"{other.code} of the funding group {definition.group} counts "
                f"{other.funding_period}; every program of a group must count the same",
            )


def load_program(
    *, definition: ProgramDefinition, tests: tuple[ProgramTest, ...] = (), actor: str
) -> tuple[ProgramVersion, bool]:
    """Store ``definition`` as the program's next version once its file's ``tests`` pass;
    (version, created).

    Loading a file identical to the current version changes nothing, so loading is idempotent.
    """
    require_tests_pass(definition, tests)
    lock_log(db.session)  # writers take the log lock first: one lock order, no deadlocks
    _require_one_period_per_group(definition)
    program = db.session.execute(
        sa.select(Program)
        .where(Program.code == definition.code)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if program is None:
        program = Program(
            code=definition.code,
            budget_amount=definition.budget,
            committed_amount=0,
            created_at=utcnow(),
        )
        db.session.add(program)
        db.session.flush()
        number = 1
    else:
        current = program.versions[-1]
        if current.rules_version == definition.rules_version:
            return current, False
        if definition.budget < program.committed_amount:
            raise Conflict(
                f"budget: {program.committed_amount} is already committed; the budget "
                "cannot be lower",
                {"budget": ["lower than the amount already committed"]},
            )
        number = current.version + 1
        program.budget_amount = definition.budget
    version = ProgramVersion(
        program_id=program.id,
        version=number,
        rules_version=definition.rules_version,
        definition=canonical_bytes(definition.canonical_dict()).decode("utf-8"),
        name_ru=definition.name["ru"],
        name_kk=definition.name["kk"],
        name_en=definition.name["en"],
        unit=definition.unit,
        opens_on=definition.opens,
        closes_on=definition.closes,
        budget_amount=definition.budget,
        created_at=utcnow(),
    )
    db.session.add(version)
    db.session.flush()
    db.session.refresh(program)
    append_entry(
        actor=actor,
        action=Action.PROGRAM_LOADED,
        subject=f"program:{program.id}",
        data={
            "code": definition.code,
            "version": number,
            "rules_version": definition.rules_version,
            "budget": str(definition.budget),
        },
    )
    return version, True
