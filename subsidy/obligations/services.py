"""Checking obligations on every animals extract, opening recovery cases, recording repayments.

``check_after_import`` runs inside the import's transaction (connected by the app factory, see
``subsidy.registry.services.after_import``): the snapshot and the cases it opens commit together
or not at all, so no breach is lost between them. The breaches are found and their notices
rendered before the import takes the log lock; only the writes run under it. One query finds,
among the paid applications whose ``keep_animals`` obligation still ran on the extract's date,
the claimed animals the new snapshot no longer lists under the applicant (or, for a cooperative,
a member); the arithmetic is pure (:mod:`subsidy.eligibility.obligations`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from subsidy.access import Role
from subsidy.accounts.models import User
from subsidy.applicants.models import Applicant, cooperative_members
from subsidy.applications.models import Application, ApplicationClaim
from subsidy.applications.states import Status
from subsidy.audit.actions import Action
from subsidy.audit.services import Entry, append_entries, append_entry, lock_log
from subsidy.clock import today
from subsidy.db import utcnow
from subsidy.decisions.notices_issuing import (
    PreparedNotice,
    prepare_recovery_notice,
    store_recovery_notice,
)
from subsidy.eligibility.obligations import (
    Breach,
    add_months,
    keep_animals_breach,
    keep_animals_ends_on,
)
from subsidy.errors import Conflict, Forbidden, NotFound, ValidationFailed
from subsidy.extensions import db
from subsidy.obligations.models import CaseStatus, RecoveryCase, Repayment
from subsidy.programs.models import ProgramVersion
from subsidy.programs.queries import definition_of
from subsidy.registry.models import AnimalRecord, RegistrySnapshot

ANIMAL_PREFIX = "animal:"


def check_after_import(
    *, snapshot: RegistrySnapshot, actor: str
) -> Callable[[], list[RecoveryCase]] | None:
    """The import's listener: prepares before its entry, opens the cases after it."""
    if snapshot.kind != "animals":
        return None
    openings = prepare_cases(snapshot)
    return lambda: open_cases(openings, snapshot=snapshot, actor=actor)


def _keep_animals_versions() -> dict[int, int]:
    """Program version id -> months, for the versions paid applications were decided on that
    declare ``keep_animals``."""
    ids = db.session.execute(
        sa.select(Application.program_version_id)
        .where(Application.status == Status.PAID)
        .distinct()
    ).scalars()
    found = {}
    for version in db.session.execute(
        sa.select(ProgramVersion).where(ProgramVersion.id.in_(list(ids)))
    ).scalars():
        obligation = definition_of(version).obligation("keep_animals")
        if obligation is not None:
            found[version.id] = obligation.params["months"]
    return found


def _missing_animals(snapshot: RegistrySnapshot, versions: dict[int, int]) -> dict[int, set[str]]:
    """Application id -> its claimed animals the snapshot does not list under the applicant or
    one of its members, for paid applications whose obligation may still run on its date."""
    animal_id = sa.func.substr(ApplicationClaim.claim_key, len(ANIMAL_PREFIX) + 1)
    member = sa.orm.aliased(Applicant)
    # Correlated with the outer query's application explicitly: the selects of a UNION are not
    # correlated automatically, and uncorrelated they would list every applicant that applied.
    owners = sa.union(
        sa.select(Applicant.iin_bin)
        .where(Applicant.id == Application.applicant_id)
        .correlate(Application),
        sa.select(member.iin_bin)
        .join(cooperative_members, cooperative_members.c.member_id == member.id)
        .where(cooperative_members.c.cooperative_id == Application.applicant_id)
        .correlate(Application),
    )
    held = sa.exists().where(
        AnimalRecord.snapshot_id == snapshot.id,
        AnimalRecord.animal_id == animal_id,
        AnimalRecord.iin_bin.in_(owners),
    )
    missing: dict[int, set[str]] = {}
    for version_id, months in versions.items():
        # Paid on or after this day, the obligation still runs on the extract's date.
        earliest = add_months(snapshot.as_of, -months)
        rows = db.session.execute(
            sa.select(ApplicationClaim.application_id, animal_id)
            .join(Application, Application.id == ApplicationClaim.application_id)
            .where(
                Application.status == Status.PAID,
                Application.program_version_id == version_id,
                Application.paid_on >= earliest,
                Application.paid_on <= snapshot.as_of,
                ApplicationClaim.claim_key.startswith(ANIMAL_PREFIX, autoescape=True),
                ~held,
            )
        )
        for application_id, animal in rows:
            missing.setdefault(application_id, set()).add(animal)
    return missing


def _claimed(application_ids: list[int]) -> dict[int, list[str]]:
    rows = db.session.execute(
        sa.select(ApplicationClaim.application_id, ApplicationClaim.claim_key).where(
            ApplicationClaim.application_id.in_(application_ids),
            ApplicationClaim.claim_key.startswith(ANIMAL_PREFIX, autoescape=True),
        )
    )
    found: dict[int, list[str]] = {}
    for application_id, key in rows:
        found.setdefault(application_id, []).append(key.removeprefix(ANIMAL_PREFIX))
    return found


def _covered(application_ids: list[int]) -> dict[int, set[str]]:
    """The animals earlier cases of each application already dealt with: recovered, being
    recovered, or cancelled by a granted appeal (the appeal settled those animals; the next
    extract that still lacks them must not open the same case again)."""
    rows = db.session.execute(
        sa.select(RecoveryCase.application_id, RecoveryCase.animals).where(
            RecoveryCase.application_id.in_(application_ids)
        )
    )
    found: dict[int, set[str]] = {}
    for application_id, animals in rows:
        found.setdefault(application_id, set()).update(json.loads(animals))
    return found


@dataclass(frozen=True)
class _Opening:
    """A case to open, found and its notice rendered before the log lock."""

    application: Application
    breach: Breach
    due_on: date
    notice: PreparedNotice


def prepare_cases(snapshot: RegistrySnapshot) -> list[_Opening]:
    """Find the breaches ``snapshot`` shows and render their notices; writes nothing. The query
    over the extract and the PDFs take seconds at scale, so they run before the log lock that
    every other writer waits for. The applications read cannot change meanwhile in a way that
    matters: a paid application stays paid, and only an import of animals (one at a time)
    opens cases."""
    versions = _keep_animals_versions()
    if not versions:
        return []
    missing = _missing_animals(snapshot, versions)
    if not missing:
        return []
    ids = sorted(missing)
    claimed, covered = _claimed(ids), _covered(ids)
    openings = []
    for application in db.session.execute(
        sa.select(Application).where(Application.id.in_(ids)).order_by(Application.id)
    ).scalars():
        months = versions[application.program_version_id]
        all_claimed = claimed.get(application.id, [])
        gone = missing[application.id] - covered.get(application.id, set())
        breach = keep_animals_breach(
            claimed=all_claimed,
            held=set(all_claimed) - gone,
            paid=application.payment_amount or Decimal("0"),
            paid_on=application.paid_on,
            months=months,
            extract_as_of=snapshot.as_of,
        )
        if breach is None or application.payment_amount is None:
            continue
        recovery_days = definition_of(application.program_version).recovery_days
        due_on = date.fromordinal(today().toordinal() + recovery_days)
        notice = prepare_recovery_notice(
            application=application,
            obligation="keep_animals",
            months=months,
            ends_on=keep_animals_ends_on(application.paid_on, months),
            extract_as_of=snapshot.as_of,
            snapshot_id=snapshot.id,
            animals=breach.left,
            claimed_count=breach.claimed,
            paid_amount=application.payment_amount,
            paid_on=application.paid_on,
            amount=breach.amount,
            due_on=due_on,
        )
        openings.append(_Opening(application, breach, due_on, notice))
    return openings


def open_cases(
    openings: list[_Opening], *, snapshot: RegistrySnapshot, actor: str
) -> list[RecoveryCase]:
    """Open the prepared cases, each with its entries and notice, under the log lock."""
    if not openings:
        return []
    lock_log(db.session)
    return [_open_case(opening, snapshot, actor) for opening in openings]


def check_obligations(*, snapshot: RegistrySnapshot, actor: str) -> list[RecoveryCase]:
    """Open one case per application whose claimed animals left before its obligation ended,
    for the animals no earlier case recovers; the same extract again opens none."""
    return open_cases(prepare_cases(snapshot), snapshot=snapshot, actor=actor)


def _open_case(opening: _Opening, snapshot: RegistrySnapshot, actor: str) -> RecoveryCase:
    application, breach = opening.application, opening.breach
    case = RecoveryCase(
        application_id=application.id,
        snapshot_id=snapshot.id,
        obligation="keep_animals",
        animals=json.dumps(list(breach.left)),
        claimed_count=breach.claimed,
        paid_amount=application.payment_amount,
        amount=breach.amount,
        repaid_amount=Decimal("0"),
        opened_at=utcnow(),
        due_on=opening.due_on,
        status=CaseStatus.OPEN,
    )
    db.session.add(case)
    db.session.flush()
    append_entry(
        actor=actor,
        action=Action.RECOVERY_OPENED,
        subject=f"application:{application.id}",
        data={
            "case": case.id,
            "obligation": "keep_animals",
            "snapshot": snapshot.id,
            "animals": list(breach.left),
            "claimed": breach.claimed,
            "paid": f"{case.paid_amount:.2f}",
            "amount": f"{case.amount:.2f}",
            "due_on": case.due_on.isoformat(),
        },
    )
    notice = store_recovery_notice(
        application=application, notice=opening.notice, case_id=case.id, actor=actor
    )
    case.notice_document_id = notice.id
    db.session.flush()
    return case


# --- repayments ----------------------------------------------------------------------------------


def _lock_case(case_id: int) -> RecoveryCase:
    lock_log(db.session)
    case = db.session.execute(
        sa.select(RecoveryCase)
        .where(RecoveryCase.id == case_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if case is None:
        raise NotFound(f"no recovery case {case_id}")
    return case


def record_repayment(*, case_id: int, amount: Decimal, paid_on: date, user: User) -> Repayment:
    """A treasurer records money repaid (as the treasury's account shows it); the case is
    ``repaid`` once repayments reach its amount. More than is owed is refused (409)."""
    if user.role is not Role.TREASURER:
        raise Forbidden("only treasurers record repayments")
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise ValidationFailed.field("amount", "must be greater than 0")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationFailed.field("amount", "must have at most 2 decimal places")
    if paid_on > today():
        raise ValidationFailed.field("paid_on", "must not be in the future")
    case = _lock_case(case_id)
    if case.status is not CaseStatus.OPEN:
        raise Conflict(f"the case is {case.status.value}", {"status": [f"is {case.status.value}"]})
    owed = case.amount - case.repaid_amount
    if amount > owed:
        raise Conflict(
            f"{amount:.2f} is more than the {owed:.2f} still owed",
            {"amount": [f"at most {owed:.2f}"]},
        )
    repayment = Repayment(case_id=case.id, amount=amount, paid_on=paid_on, recorded_by_id=user.id)
    db.session.add(repayment)
    case.repaid_amount = case.repaid_amount + amount
    entries = [
        Entry(
            user.actor,
            Action.REPAYMENT_RECORDED,
            f"recovery:{case.id}",
            {
                "amount": f"{amount:.2f}",
                "paid_on": paid_on.isoformat(),
                "repaid": f"{case.repaid_amount:.2f}",
                "owed": f"{case.amount - case.repaid_amount:.2f}",
            },
        )
    ]
    if case.repaid_amount >= case.amount:
        case.status = CaseStatus.REPAID
        case.closed_at = utcnow()
        entries.append(
            Entry(user.actor, Action.RECOVERY_REPAID, f"recovery:{case.id}", {"case": case.id})
        )
    db.session.flush()
    append_entries(entries)
    return repayment


def cancel_case(*, case: RecoveryCase, actor: str, appeal_id: int) -> None:
    """An appeal against the notice was granted (called by subsidy.appeals, under its lock)."""
    if case.status is not CaseStatus.OPEN:
        raise Conflict(f"the case is {case.status.value}", {"status": [f"is {case.status.value}"]})
    case.status = CaseStatus.CANCELLED
    case.closed_at = utcnow()
    db.session.flush()
    append_entry(
        actor=actor,
        action=Action.RECOVERY_CANCELLED,
        subject=f"recovery:{case.id}",
        data={"appeal": appeal_id, "repaid": f"{case.repaid_amount:.2f}"},
    )
