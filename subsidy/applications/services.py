"""Submitting and withdrawing applications. Decisions are in :mod:`.decisions`."""

from __future__ import annotations

import json
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from subsidy.accounts.models import Role, User
from subsidy.applicants.queries import applicant_by_iin_bin
from subsidy.applications.calendar import add_working_days
from subsidy.applications.models import (
    Application,
    ApplicationClaim,
    Status,
    lock_application,
)
from subsidy.applications.transitions import move, require_action
from subsidy.audit.canonical import canonical_bytes
from subsidy.audit.services import append_entry, lock_log
from subsidy.clock import today
from subsidy.db import utcnow
from subsidy.eligibility.amounts import check_quantity
from subsidy.eligibility.gather import gather_facts
from subsidy.eligibility.rules import NotInForce, evaluate
from subsidy.errors import Conflict, Forbidden, ValidationFailed
from subsidy.extensions import db
from subsidy.programs.queries import current_version, program_by_code
from subsidy.programs.services import definition_of


def _check_submitter(user: User, applicant: str) -> None:
    """Before any lookup, so that a refusal says nothing about whether the id is registered."""
    if user.role not in (Role.APPLICANT, Role.OFFICIAL):
        raise Forbidden("only applicants and officials submit applications")
    if user.role is Role.APPLICANT and user.applicant.iin_bin != applicant:
        raise Forbidden("you may apply only for your own applicant record")


def _replay(user: User, key: str, program_id: int, applicant_id: int, quantity: Decimal):
    existing = db.session.execute(
        sa.select(Application).where(
            Application.submitted_by_id == user.id, Application.idempotency_key == key
        )
    ).scalar_one_or_none()
    if existing is None:
        return None
    same = (existing.program_id, existing.applicant_id, existing.quantity) == (
        program_id,
        applicant_id,
        quantity,
    )
    if not same:
        raise Conflict(
            "Idempotency-Key was already used for a different application",
            {"Idempotency-Key": ["already used for a different application"]},
        )
    return existing


def _evaluate(program_row, applicant_row, quantity: Decimal):
    """Window, applicant kind, quantity and the rules: (version, definition, evaluation, keys)."""
    version = current_version(program_row)
    definition = definition_of(version)
    day = today()
    if not version.opens_on <= day <= version.closes_on:
        raise ValidationFailed.field(
            "program",
            f"accepts applications from {version.opens_on} to {version.closes_on}",
        )
    if applicant_row.kind.value not in definition.applicant_kinds:
        raise ValidationFailed.field(
            "applicant",
            f"a {applicant_row.kind.value} may not apply to this program "
            f"({', '.join(definition.applicant_kinds)} may)",
        )
    problem = check_quantity(definition.unit, quantity)
    if problem:
        raise ValidationFailed.field("quantity", problem)
    facts, keys = gather_facts(applicant_row, program_row.id, definition)
    try:
        evaluation = evaluate(definition, facts, quantity, day)
    except NotInForce as error:
        raise ValidationFailed.field("program", str(error)) from None
    return version, definition, evaluation, keys


def preview_application(*, program: str, applicant: str, quantity: Decimal, user: User):
    """What submitting would give today — the checks and the amount — without writing anything."""
    _check_submitter(user, applicant)
    program_row = program_by_code(program, field="program")
    applicant_row = applicant_by_iin_bin(applicant, field="applicant")
    _, _, evaluation, _ = _evaluate(program_row, applicant_row, quantity)
    return evaluation


def submit_application(
    *,
    program: str,
    applicant: str,
    quantity: Decimal,
    user: User,
    idempotency_key: str | None = None,
) -> tuple[Application, bool]:
    """Evaluate and store an application; (application, created). A repeated Idempotency-Key
    returns the application it created the first time."""
    _check_submitter(user, applicant)
    program_row = program_by_code(program, field="program")
    applicant_row = applicant_by_iin_bin(applicant, field="applicant")
    # Serialise with every other write from here on, so that the double-funding and
    # one-application checks see every application committed before this one.
    lock_log(db.session)
    if idempotency_key:
        replayed = _replay(user, idempotency_key, program_row.id, applicant_row.id, quantity)
        if replayed is not None:
            return replayed, False
    version, definition, evaluation, keys = _evaluate(program_row, applicant_row, quantity)
    day = evaluation.on_date
    application = Application(
        program_id=program_row.id,
        program_version_id=version.id,
        applicant_id=applicant_row.id,
        submitted_by_id=user.id,
        idempotency_key=idempotency_key,
        status=Status.SUBMITTED if evaluation.eligible else Status.INELIGIBLE,
        quantity=quantity,
        rate=evaluation.rate,
        requested_amount=evaluation.amount,
        rules_version=evaluation.rules_version,
        evaluation=canonical_bytes(evaluation.to_json()).decode("utf-8"),
        submitted_on=day,
        submitted_at=utcnow(),
        decision_due_on=add_working_days(day, definition.decision_days),
    )
    try:
        with db.session.begin_nested():
            db.session.add(application)
            db.session.flush()
    except IntegrityError:
        # The same key raced in on another connection: answer with what it created.
        if idempotency_key:
            replayed = _replay(user, idempotency_key, program_row.id, applicant_row.id, quantity)
            if replayed is not None:
                return replayed, False
        raise
    application.number = f"{program_row.code}-{application.id:06d}"
    db.session.add_all(
        ApplicationClaim(application_id=application.id, claim_key=key, program_id=program_row.id)
        for key in keys
    )
    db.session.flush()
    subject = f"application:{application.id}"
    append_entry(
        actor=user.actor,
        action="application_submitted",
        subject=subject,
        data={
            "number": application.number,
            "program": program_row.code,
            "program_version": version.version,
            "applicant_id": applicant_row.id,
            "quantity": format(quantity.normalize(), "f"),
            "requested_amount": f"{evaluation.amount:.2f}",
        },
    )
    append_entry(
        actor="system",
        action="application_evaluated",
        subject=subject,
        data={
            "eligible": evaluation.eligible,
            "rules_version": evaluation.rules_version,
            "failed": evaluation.failed_rules,
            "snapshots": evaluation.snapshots,
            "status": application.status.value,
        },
    )
    return application, True


def withdraw_application(*, application: Application, user: User) -> Application:
    if user.role is not Role.APPLICANT or user.applicant_id != application.applicant_id:
        raise Forbidden("only the applicant may withdraw its application")
    lock_log(db.session)
    lock_application(application)
    require_action("withdraw", application.status)
    previous = application.status
    move(application, Status.WITHDRAWN)
    application.withdrawn_at = utcnow()
    db.session.flush()
    append_entry(
        actor=user.actor,
        action="application_withdrawn",
        subject=f"application:{application.id}",
        data={"from": previous.value},
    )
    return application


def evaluation_of(application: Application) -> dict:
    return json.loads(application.evaluation)
