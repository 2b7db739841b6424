"""Evaluating a decided application again: what a granted appeal does (subsidy.appeals).

The rules are the program version the application was submitted under and the rate and dated
values in force on its submission day (it keeps what it asked for); the registry evidence is
that of the day of the appeal (the latest snapshots). If it is eligible now it returns to
``submitted`` keeping its id, and so its original place in the first-come queue; its claims are
those of the new evaluation. If not, the new evaluation is stored and it stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from subsidy.applications.calendar import add_working_days
from subsidy.applications.facts import Funding, gather_facts, keys_of, lock_funding_group
from subsidy.applications.flags import store_flags
from subsidy.applications.models import Application, ApplicationClaim, lock_application
from subsidy.applications.queries import claimed_animals
from subsidy.applications.states import Status, move, require_action
from subsidy.audit.actions import Action
from subsidy.audit.canonical import canonical_bytes
from subsidy.audit.services import Entry, append_entries, lock_log
from subsidy.clock import today
from subsidy.eligibility.rules import NotInForce, evaluate
from subsidy.errors import ValidationFailed
from subsidy.extensions import db
from subsidy.programs.queries import definition_of


@dataclass(frozen=True)
class Reevaluation:
    application: Application
    eligible: bool
    reopened: bool  # back to submitted, in its original place


def reevaluate_application(*, application: Application, actor: str, appeal_id: int) -> Reevaluation:
    """Evaluate again (see the module's docstring), in the caller's transaction, logged."""
    lock_log(db.session)
    version = application.program_version
    definition = definition_of(version)
    funding = Funding.of(application.program_id, definition, application.submitted_on)
    # Reopened, it is live in its group again: serialised with the group's submissions.
    lock_funding_group(funding.group)
    lock_application(application)
    require_action("reopen", application.status)
    facts, _ = gather_facts(application.applicant, funding, definition)
    listed = tuple(claimed_animals(application.id)) or None
    if listed is not None and facts.animals is not None:
        own = {animal.animal_id for animal in facts.animals}
        listed = tuple(animal for animal in listed if animal in own) or None
    try:
        evaluation = evaluate(
            definition, facts, application.quantity, application.submitted_on, listed
        )
    except NotInForce as error:
        raise ValidationFailed.field("program", str(error)) from None
    previous = application.status
    application.evaluation = canonical_bytes(evaluation.to_json()).decode("utf-8")
    application.rules_version = evaluation.rules_version
    reopened = evaluation.eligible
    if reopened:
        move(application, Status.SUBMITTED)
        application.requested_amount = evaluation.amount
        for name in (
            "proposed_amount",
            "approved_amount",
            "first_approver_id",
            "first_approved_at",
            "decided_by_id",
            "decided_at",
            "reject_reason",
            "decision_comment",
            "justification",
            "waitlisted_at",
        ):
            setattr(application, name, None)
        application.decision_due_on = add_working_days(today(), definition.decision_days)
        db.session.execute(
            sa.delete(ApplicationClaim).where(ApplicationClaim.application_id == application.id)
        )
        keys = keys_of(evaluation.claim)
        if keys:
            db.session.execute(
                sa.insert(ApplicationClaim.__table__),
                [
                    {
                        "application_id": application.id,
                        "claim_key": key,
                        "program_id": application.program_id,
                        "funding_group": funding.group,
                        "period": funding.period,
                    }
                    for key in keys
                ],
            )
    db.session.flush()
    flags = store_flags(application) if reopened else ()
    subject = f"application:{application.id}"
    entries = [
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
                "appeal": appeal_id,
            },
        )
    ]
    if reopened:
        entries.append(
            Entry(
                actor,
                Action.APPLICATION_REOPENED,
                subject,
                {
                    "appeal": appeal_id,
                    "from": previous.value,
                    "requested_amount": f"{evaluation.amount:.2f}",
                },
            )
        )
    append_entries(entries)
    return Reevaluation(application, evaluation.eligible, reopened)
