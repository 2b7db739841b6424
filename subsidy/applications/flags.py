"""Risk flags of an application: the facts gathered from the database for
:func:`subsidy.eligibility.flags.compute_flags`, stored with their evidence and the time computed.

Computed at submission (in its transaction) and again on an official's demand; a payment run
will compute them again before money moves. A flag is never a refusal: an approval with a
``high`` flag needs a written justification (``decisions.services``)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from subsidy.applicants.models import Applicant, cooperative_members
from subsidy.applications.facts import owners_of
from subsidy.applications.models import (
    LIVE_STATUSES,
    Application,
    ApplicationClaim,
    ApplicationFlag,
)
from subsidy.audit.actions import Action
from subsidy.audit.canonical import canonical_bytes
from subsidy.audit.services import append_entry, lock_log
from subsidy.clock import KAZAKHSTAN, today
from subsidy.db import utcnow
from subsidy.eligibility.flags import (
    HERD_SPIKE_DAYS,
    Flag,
    HerdChange,
    Overlap,
    Request,
    RiskFacts,
    compute_flags,
)
from subsidy.extensions import db
from subsidy.programs.definition import ProgramDefinition
from subsidy.programs.models import Program
from subsidy.programs.queries import definition_of
from subsidy.registry.models import AnimalRecord, LivestockRecord, RegistrySnapshot


def risk_facts(
    *,
    applicant: Applicant,
    program: Program,
    definition: ProgramDefinition,
    amount: Decimal,
    claim_keys: list[str],
    day: date,
    own_id: int | None = None,
) -> RiskFacts:
    """The facts of an application, stored (``own_id``) or about to be (a submission computes its
    flags before it takes the log lock, from its evaluation)."""
    heads = _applicants_with(Applicant.head_iin, applicant.head_iin, applicant.id)
    accounts = _applicants_with(Applicant.iban, applicant.iban, applicant.id)
    partners = _cooperative_partners(applicant.id)
    requests = _live_requests(program.id, heads | accounts | partners, own_id)
    changed = applicant.bank_account_changed_at
    return RiskFacts(
        on_date=day,
        applicant_id=applicant.id,
        amount=amount,
        threshold=definition.second_approval_above,
        budget=program.budget_amount,
        shared_account_with=tuple(sorted(accounts)),
        same_head=tuple(r for r in requests if r.applicant_id in heads),
        related=tuple(requests),
        overlaps=_overlaps(claim_keys, partners, own_id),
        herds=_herd_changes(applicant, definition.species, day),
        account_changed_on=None if changed is None else changed.astimezone(KAZAKHSTAN).date(),
    )


def risk_facts_of(application: Application, day: date) -> RiskFacts:
    """The facts of a stored application."""
    keys = db.session.execute(
        sa.select(ApplicationClaim.claim_key).where(
            ApplicationClaim.application_id == application.id
        )
    ).scalars()
    return risk_facts(
        applicant=application.applicant,
        program=application.program,
        definition=definition_of(application.program_version),
        amount=application.proposed_amount or application.requested_amount,
        claim_keys=list(keys),
        day=day,
        own_id=application.id,
    )


def _applicants_with(column, value, own_id: int) -> set[int]:
    if value is None:
        return set()
    rows = db.session.execute(
        sa.select(Applicant.id).where(column == value, Applicant.id != own_id)
    )
    return set(rows.scalars())


def _cooperative_partners(applicant_id: int) -> set[int]:
    """The cooperatives the applicant is a member of, and the members of a cooperative."""
    links = cooperative_members.c
    rows = db.session.execute(
        sa.select(links.cooperative_id, links.member_id).where(
            sa.or_(links.member_id == applicant_id, links.cooperative_id == applicant_id)
        )
    )
    return {c if m == applicant_id else m for c, m in rows}


def _live_requests(program_id: int, applicants: set[int], own_id: int | None) -> list[Request]:
    if not applicants:
        return []
    rows = db.session.execute(
        sa.select(
            Application.number,
            Application.applicant_id,
            sa.func.coalesce(Application.proposed_amount, Application.requested_amount),
        )
        .where(
            Application.program_id == program_id,
            Application.applicant_id.in_(applicants),
            Application.status.in_(LIVE_STATUSES),
            Application.id != (own_id or 0),
        )
        .order_by(Application.id)
    )
    return [Request(number, applicant_id, Decimal(amount)) for number, applicant_id, amount in rows]


def _overlaps(claim_keys: list[str], partners: set[int], own_id: int | None) -> tuple[Overlap, ...]:
    """Live applications (any program) of the cooperative or its members claiming the same
    animals or parcels as this one."""
    own = [key for key in claim_keys if key.startswith(("animal:", "parcel:"))]
    if not partners or not own:
        return ()
    rows = db.session.execute(
        sa.select(Application.number, Application.applicant_id, ApplicationClaim.claim_key)
        .join(ApplicationClaim, ApplicationClaim.application_id == Application.id)
        .where(
            Application.applicant_id.in_(partners),
            Application.status.in_(LIVE_STATUSES),
            Application.id != (own_id or 0),
            ApplicationClaim.claim_key.in_(own),
        )
        .order_by(Application.number, ApplicationClaim.claim_key)
    )
    found: dict[tuple[str, int], tuple[list[str], list[str]]] = {}
    for number, applicant_id, key in rows:
        animals, parcels = found.setdefault((number, applicant_id), ([], []))
        kind, _, value = key.partition(":")
        (animals if kind == "animal" else parcels).append(value)
    return tuple(
        Overlap(number, applicant_id, tuple(animals), tuple(parcels))
        for (number, applicant_id), (animals, parcels) in found.items()
    )


def _herd_changes(applicant: Applicant, species: str, day: date) -> tuple[HerdChange, ...]:
    """Identified heads of ``species`` now and about 90 days before ``day``, from the livestock
    extracts and, where they exist, the animals extracts: the latest snapshot and the latest one
    dated on or before the start of the window."""
    owners = owners_of(applicant)
    window = day - timedelta(days=HERD_SPIKE_DAYS)
    changes = []
    for kind, count in (("livestock", _livestock_count), ("animals", _animal_count)):
        latest = _snapshot(kind, day)
        before = _snapshot(kind, window)
        if latest is None or before is None or latest.id == before.id:
            continue
        changes.append(
            HerdChange(
                species,
                count(before.id, owners, species),
                before.as_of,
                count(latest.id, owners, species),
                latest.as_of,
            )
        )
    return tuple(changes)


def _snapshot(kind: str, on_or_before: date) -> RegistrySnapshot | None:
    return db.session.execute(
        sa.select(RegistrySnapshot)
        .where(RegistrySnapshot.kind == kind, RegistrySnapshot.as_of <= on_or_before)
        .order_by(RegistrySnapshot.as_of.desc(), RegistrySnapshot.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _livestock_count(snapshot_id: int, owners: list[str], species: str) -> int:
    return db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(LivestockRecord.identified_heads), 0)).where(
            LivestockRecord.snapshot_id == snapshot_id,
            LivestockRecord.iin_bin.in_(owners),
            LivestockRecord.species == species,
        )
    ).scalar_one()


def _animal_count(snapshot_id: int, owners: list[str], species: str) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).where(
            AnimalRecord.snapshot_id == snapshot_id,
            AnimalRecord.iin_bin.in_(owners),
            AnimalRecord.species == species,
        )
    ).scalar_one()


# --- storing ----------------------------------------------------------------------------------


def store_flags(
    application: Application, flags: tuple[Flag, ...] | None = None
) -> tuple[Flag, ...]:
    """Replace the application's stored flags with ``flags`` (computed as of today when not
    given), in the caller's transaction, which logs them."""
    if flags is None:
        flags = compute_flags(risk_facts_of(application, today()))
    now = utcnow()
    # No session synchronisation: it walks every object the session holds on each call, which
    # made a payment run's preparation quadratic in its size; the one attribute changed below is
    # set on the object by hand, and flags are read back by query.
    db.session.execute(
        sa.delete(ApplicationFlag)
        .where(ApplicationFlag.application_id == application.id)
        .execution_options(synchronize_session=False)
    )
    if flags:
        db.session.execute(
            sa.insert(ApplicationFlag),
            [
                {
                    "application_id": application.id,
                    "code": flag.code,
                    "severity": flag.severity,
                    "detail": canonical_bytes(flag.detail).decode("utf-8"),
                    "evidence": canonical_bytes(flag.evidence).decode("utf-8"),
                    "computed_at": now,
                }
                for flag in flags
            ],
        )
    db.session.execute(
        sa.update(Application)
        .where(Application.id == application.id)
        .values(flags_computed_at=now)
        .execution_options(synchronize_session=False)
    )
    application.flags_computed_at = now
    return flags


def recompute_flags(*, application: Application, actor: str) -> tuple[Flag, ...]:
    """An official's "check again": the flags as of today, logged."""
    lock_log(db.session)
    flags = store_flags(application)
    append_entry(
        actor=actor,
        action=Action.FLAGS_COMPUTED,
        subject=f"application:{application.id}",
        data={"flags": [flag.code for flag in flags]},
    )
    return flags


# --- reading ----------------------------------------------------------------------------------


def flags_of(application_ids: list[int]) -> dict[int, list[dict]]:
    """The stored flags of each application, highest severity first."""
    if not application_ids:
        return {}
    rank = sa.case({"high": 0, "medium": 1, "low": 2}, value=ApplicationFlag.severity)
    rows = db.session.execute(
        sa.select(ApplicationFlag)
        .where(ApplicationFlag.application_id.in_(application_ids))
        .order_by(ApplicationFlag.application_id, rank, ApplicationFlag.code)
    ).scalars()
    found: dict[int, list[dict]] = {}
    for row in rows:
        found.setdefault(row.application_id, []).append(
            {
                "code": row.code,
                "severity": row.severity,
                "detail": json.loads(row.detail),
                "evidence": json.loads(row.evidence),
                "computed_at": row.computed_at,
            }
        )
    return found


def has_high_flag(application_id: int) -> list[str]:
    """The codes of the application's high flags (empty: none)."""
    rows = db.session.execute(
        sa.select(ApplicationFlag.code)
        .where(ApplicationFlag.application_id == application_id, ApplicationFlag.severity == "high")
        .order_by(ApplicationFlag.code)
    )
    return list(rows.scalars())
