"""Submitting and withdrawing applications. Decisions are in :mod:`.decisions`."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached

from subsidy.access import Role
from subsidy.accounts.models import User
from subsidy.applicants.queries import applicant_by_iin_bin
from subsidy.applications import log_check  # noqa: F401  (registers verify's check)
from subsidy.applications.calendar import add_working_days
from subsidy.applications.facts import (
    Funding,
    gather_facts,
    keys_of,
    lock_funding_group,
    other_applications,
)
from subsidy.applications.flags import risk_facts, store_flags
from subsidy.applications.models import Application, ApplicationClaim, lock_application
from subsidy.applications.queries import claimed_animals
from subsidy.applications.states import Status, move, require_action
from subsidy.audit.actions import Action
from subsidy.audit.canonical import canonical_bytes
from subsidy.audit.services import Entry, append_entries, append_entry, lock_log
from subsidy.clock import today
from subsidy.db import lock_name, utcnow
from subsidy.eligibility.amounts import check_quantity
from subsidy.eligibility.facts import Facts
from subsidy.eligibility.flags import Flag, compute_flags
from subsidy.eligibility.rules import Evaluation, NotInForce, evaluate
from subsidy.errors import Conflict, Forbidden, ValidationFailed
from subsidy.extensions import db
from subsidy.programs.definition import ProgramDefinition
from subsidy.programs.models import ProgramVersion
from subsidy.programs.queries import current_version, definition_of, program_by_code
from subsidy.programs.queue import next_queue_number
from subsidy.registry.models import KINDS, RegistrySnapshot


def _check_submitter(user: User, applicant: str) -> None:
    """Before any lookup, so that a refusal says nothing about whether the id is registered."""
    if user.role not in (Role.APPLICANT, Role.OFFICIAL):
        raise Forbidden("only applicants and officials submit applications")
    if user.role is Role.APPLICANT and user.applicant.iin_bin != applicant:
        raise Forbidden("you may apply only for your own applicant record")


def _replay(
    user: User,
    key: str,
    program_id: int,
    applicant_id: int,
    quantity: Decimal,
    animals: list[str] | None = None,
):
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
    if same and animals is not None:  # the animals named are part of what was asked
        same = sorted(animals) == claimed_animals(existing.id)
    if not same:
        raise Conflict(
            "Idempotency-Key was already used for a different application",
            {"Idempotency-Key": ["already used for a different application"]},
        )
    return existing


class Assessment(NamedTuple):
    """An evaluation and what it was made from."""

    version: ProgramVersion
    definition: ProgramDefinition
    facts: Facts
    keys: list[str]  # what other applications are looked up by (see gather_facts)
    evaluation: Evaluation
    stored: str  # the evaluation as stored with the application: canonical JSON
    funding: Funding
    listed: tuple[str, ...] | None  # the animal ids the application names


def _assessment(assessed: dict, facts: Facts, evaluation: Evaluation) -> Assessment:
    stored = canonical_bytes(evaluation.to_json()).decode("utf-8")
    return Assessment(**assessed, facts=facts, evaluation=evaluation, stored=stored)


MAX_LISTED_ANIMALS = 10_000


def _listed_animals(animals, quantity: Decimal | None, definition, facts: Facts):
    """The animal ids an application names, checked against the latest animals extract; and the
    quantity, which is then their number."""
    if animals is None:
        if quantity is None:
            raise ValidationFailed.field("quantity", "is required (or list the animals)")
        return None, quantity
    if definition.unit != "head":
        raise ValidationFailed.field("animals", "only programs paid per head claim animals")
    if not animals:
        raise ValidationFailed.field("animals", "list at least one animal id")
    if len(animals) > MAX_LISTED_ANIMALS:
        raise ValidationFailed.field("animals", f"at most {MAX_LISTED_ANIMALS} animals")
    if len(set(animals)) != len(animals):
        raise ValidationFailed.field("animals", "an animal id is listed twice")
    if facts.animals is None:
        raise ValidationFailed.field("animals", "no animals extract has been imported yet")
    own = {animal.animal_id for animal in facts.animals}
    foreign = sorted(set(animals) - own)
    if foreign:
        shown = ", ".join(foreign[:10]) + (" …" if len(foreign) > 10 else "")
        raise ValidationFailed.field(
            "animals",
            f"not the applicant's {definition.species} in the latest animals extract: {shown}",
        )
    if quantity is not None and quantity != len(animals):
        raise ValidationFailed.field(
            "quantity", f"must be the number of animals listed ({len(animals)})"
        )
    return tuple(animals), Decimal(len(animals))


def _evaluate(program_row, applicant_row, quantity: Decimal | None, animals=None) -> Assessment:
    """Window, applicant kind, quantity, the animals claimed and the rules."""
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
    if quantity is not None:
        problem = check_quantity(definition.unit, quantity)
        if problem:
            raise ValidationFailed.field("quantity", problem)
    funding = Funding.of(program_row.id, definition, day)
    facts, keys = gather_facts(applicant_row, funding, definition)
    listed, quantity = _listed_animals(animals, quantity, definition, facts)
    evaluation = _run_rules(definition, facts, quantity, day, listed)
    assessed = {
        "version": version,
        "definition": definition,
        "keys": keys,
        "funding": funding,
        "listed": listed,
    }
    return _assessment(assessed, facts, evaluation)


def _run_rules(definition, facts: Facts, quantity: Decimal, day, listed=None) -> Evaluation:
    try:
        return evaluate(definition, facts, quantity, day, listed)
    except NotInForce as error:
        raise ValidationFailed.field("program", str(error)) from None


# Two-key advisory lock space (subsidy.db.lock_name) of one user's Idempotency-Key ("SUB2").
IDEMPOTENCY_LOCK = 0x53554232


def evaluation_stamp(program_id: int) -> tuple:
    """What an evaluation read that only a logged event changes, in one round trip: the
    program's current version and the latest registry snapshot of each kind."""
    version = (
        sa.select(sa.func.max(ProgramVersion.id))
        .where(ProgramVersion.program_id == program_id)
        .scalar_subquery()
    )
    snapshots = [
        sa.select(sa.func.max(RegistrySnapshot.id))
        .where(RegistrySnapshot.kind == kind)
        .scalar_subquery()
        for kind in KINDS
    ]
    return tuple(db.session.execute(sa.select(version, *snapshots)).one())


def _current(assessed: Assessment, stamp: tuple, program_row, applicant_row, quantity: Decimal):
    """The assessment as if it had been made under the funding group's lock (which the caller
    holds): evaluated again from the start if the program's version or a registry snapshot
    changed since ``stamp`` was read (before the assessment began), or the day; else the rules
    again only if the other live applications it counted differ."""
    same_day = assessed.evaluation.on_date == today()  # or the window and rate may differ
    if same_day and evaluation_stamp(program_row.id) == stamp:
        others = other_applications(applicant_row.id, assessed.funding, assessed.keys)
        if others == assessed.facts.other_applications:
            return assessed
        # The rules again, and the choice of animals with them (it passes over claimed ones).
        facts = dataclasses.replace(assessed.facts, other_applications=others)
        evaluation = _run_rules(
            assessed.definition, facts, quantity, assessed.evaluation.on_date, assessed.listed
        )
        kept = {
            "version": assessed.version,
            "definition": assessed.definition,
            "keys": assessed.keys,
            "funding": assessed.funding,
            "listed": assessed.listed,
        }
        return _assessment(kept, facts, evaluation)
    db.session.expire(program_row)
    db.session.expire(applicant_row)
    return _evaluate(program_row, applicant_row, quantity, assessed.listed)


def preview_application(
    *,
    program: str,
    applicant: str,
    quantity: Decimal | None = None,
    user: User,
    animals: list[str] | None = None,
):
    """What submitting would give today — the checks and the amount — without writing anything."""
    _check_submitter(user, applicant)
    program_row = program_by_code(program, field="program")
    applicant_row = applicant_by_iin_bin(applicant, field="applicant")
    return _evaluate(program_row, applicant_row, quantity, animals).evaluation


def submit_application(
    *,
    program: str,
    applicant: str,
    quantity: Decimal | None = None,
    user: User,
    idempotency_key: str | None = None,
    animals: list[str] | None = None,
) -> tuple[Application, bool]:
    """Evaluate and store an application; (application, created). A repeated Idempotency-Key
    returns the application it created the first time. A head program's application may name
    its ``animals`` (then ``quantity`` is their number); otherwise it claims the applicant's
    oldest-registered ones.

    No lock is held across the evaluation, and none is global: only the submissions of one
    funding group wait for each other (the double-funding and one-application checks see every
    application committed before this one), then those of the program for its queue number; the
    log entries are queued with the application and given their indices after the commit."""
    _check_submitter(user, applicant)
    program_row = program_by_code(program, field="program")
    # Read first: a version or snapshot newer than this is seen under the lock.
    stamp = evaluation_stamp(program_row.id)
    applicant_row = applicant_by_iin_bin(applicant, field="applicant")
    if quantity is None and animals is not None:
        quantity = Decimal(len(animals))
    if idempotency_key and quantity is not None:
        replayed = _replay(
            user, idempotency_key, program_row.id, applicant_row.id, quantity, animals
        )
        if replayed is not None:
            return replayed, False
    assessed = _evaluate(program_row, applicant_row, quantity, animals)
    quantity = assessed.evaluation.quantity
    # Advisory, so computed before the lock from the evaluation (a related application committed
    # in between is seen when the flags are computed again: on demand, before a payment run).
    flags = _flags_of(assessed, applicant_row, program_row)
    session = db.session
    if idempotency_key:  # the same key for two programs: one inserts, the other replays
        lock_name(session, IDEMPOTENCY_LOCK, f"{user.id}:{idempotency_key}")
        replayed = _replay(
            user, idempotency_key, program_row.id, applicant_row.id, quantity, animals
        )
        if replayed is not None:
            return replayed, False
    lock_funding_group(assessed.funding.group)
    current = _current(assessed, stamp, program_row, applicant_row, quantity)
    if current.funding.group != assessed.funding.group:  # a new version moved the program
        lock_funding_group(current.funding.group)
        current = _current(
            current, evaluation_stamp(program_row.id), program_row, applicant_row, quantity
        )
    if current is not assessed:  # evaluated again under the lock: claims may differ
        flags = _flags_of(current, applicant_row, program_row)
    queue_number = next_queue_number(session, program_row.id)
    version, definition, evaluation = current.version, current.definition, current.evaluation
    day = evaluation.on_date
    application = _store(
        {
            "program_id": program_row.id,
            "program_version_id": version.id,
            "applicant_id": applicant_row.id,
            "submitted_by_id": user.id,
            "idempotency_key": idempotency_key,
            "queue_number": queue_number,
            "status": Status.SUBMITTED if evaluation.eligible else Status.INELIGIBLE,
            "quantity": quantity,
            "rate": evaluation.rate,
            "requested_amount": evaluation.amount,
            "rules_version": evaluation.rules_version,
            "evaluation": current.stored,
            "submitted_on": day,
            "submitted_at": utcnow(),
            "decision_due_on": add_working_days(day, definition.decision_days),
        },
        keys_of(evaluation.claim),
        current.funding,
        program=program_row,
        program_version=version,
        applicant=applicant_row,
    )
    store_flags(application, flags)
    subject = f"application:{application.id}"
    append_entries(
        [
            Entry(
                user.actor,
                Action.APPLICATION_SUBMITTED,
                subject,
                {
                    "number": application.number,
                    "program": program_row.code,
                    "queue_number": queue_number,
                    "program_version": version.version,
                    "applicant_id": applicant_row.id,
                    "quantity": format(quantity.normalize(), "f"),
                    "requested_amount": f"{evaluation.amount:.2f}",
                },
            ),
            Entry(
                "system",
                Action.APPLICATION_EVALUATED,
                subject,
                {
                    "eligible": evaluation.eligible,
                    "rules_version": evaluation.rules_version,
                    "failed": evaluation.failed_rules,
                    "snapshots": evaluation.snapshots,
                    "status": application.status.value,
                    "flags": [flag.code for flag in flags],
                },
            ),
        ]
    )
    return application, True


def _flags_of(assessed: Assessment, applicant_row, program_row) -> tuple[Flag, ...]:
    evaluation = assessed.evaluation
    facts = risk_facts(
        applicant=applicant_row,
        program=program_row,
        definition=assessed.definition,
        amount=evaluation.amount,
        claim_keys=keys_of(evaluation.claim),
        day=evaluation.on_date,
    )
    return compute_flags(facts)


def _store(values: dict, keys: list[str], funding: Funding, **related) -> Application:
    """Insert an application and its claims with three plain statements.

    The Idempotency-Key was checked under its own lock, so the insert cannot meet the same key.
    The returned object is attached to the session as loaded, without the unit of work's
    flush machinery (which cost more than the statements) and without reading the row back."""
    table = Application.__table__
    new_id = db.session.execute(sa.insert(table).values(values).returning(table.c.id)).scalar_one()
    number = f"{related['program'].code}-{new_id:06d}"
    db.session.execute(sa.update(table).where(table.c.id == new_id).values(number=number))
    if keys:
        db.session.execute(
            sa.insert(ApplicationClaim.__table__),
            [
                {
                    "application_id": new_id,
                    "claim_key": key,
                    "program_id": values["program_id"],
                    "funding_group": funding.group,
                    "period": funding.period,
                }
                for key in keys
            ],
        )
    unset = {column.key: None for column in table.columns if column.key not in values}
    application = Application(**{**unset, **values, "id": new_id, "number": number}, **related)
    make_transient_to_detached(application)
    db.session.add(application)
    return application


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
        action=Action.APPLICATION_WITHDRAWN,
        subject=f"application:{application.id}",
        data={"from": previous.value},
    )
    return application
