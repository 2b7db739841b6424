"""Building the :class:`~subsidy.eligibility.facts.Facts` of an application from the database:
the latest registry snapshots and the program's other live applications that could conflict with
it. It lives with the applications because it reads their tables; the rules below see only the
plain facts it returns."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import sqlalchemy as sa

from subsidy.applicants.models import Applicant, ApplicantKind
from subsidy.applications.models import LIVE_STATUSES, Application, ApplicationClaim
from subsidy.eligibility.facts import Facts, Herd, OtherApplication, Parcel
from subsidy.eligibility.rules import ProgramRules, claims
from subsidy.extensions import db
from subsidy.registry.queries import land_of, latest_snapshots, livestock_of, tax_of


def claim_keys(parcels: frozenset[str], animals: frozenset[tuple[str, str]]) -> list[str]:
    keys = [f"parcel:{number}" for number in sorted(parcels)]
    keys += [f"animals:{owner}:{species}" for owner, species in sorted(animals)]
    return keys


def _parse_key(key: str) -> tuple[str, object]:
    kind, _, rest = key.partition(":")
    if kind == "parcel":
        return "parcel", rest
    owner, _, species = rest.partition(":")
    return "animals", (owner, species)


def registry_facts(applicant: Applicant) -> Facts:
    """What the registries say, without other applications."""
    snapshots = latest_snapshots()
    owners = [applicant.iin_bin]
    if applicant.kind is ApplicantKind.COOPERATIVE:
        owners += [member.iin_bin for member in applicant.members]
    herds = tuple(
        Herd(row.species, row.heads, row.identified_heads, row.iin_bin)
        for row in livestock_of(snapshots["livestock"], owners)
    )
    parcels = tuple(
        Parcel(row.cadastral_number, Decimal(row.hectares), row.iin_bin)
        for row in land_of(snapshots["land"], owners)
    )
    tax = tax_of(snapshots["tax"], applicant.iin_bin)
    return Facts(
        applicant_id=applicant.id,
        applicant_kind=applicant.kind.value,
        member_count=len(applicant.members),
        herds=herds,
        parcels=parcels,
        tax_arrears=None if tax is None else tax.arrears_amount,
        other_applications=(),
        snapshots={kind: (snap.id if snap else None) for kind, snap in snapshots.items()},
    )


def gather_facts(
    applicant: Applicant, program_id: int, definition: ProgramRules
) -> tuple[Facts, list[str]]:
    """(facts, the claim keys this application makes)."""
    facts = registry_facts(applicant)
    keys = claim_keys(*claims(definition, facts))
    others = other_applications(applicant.id, program_id, keys)
    return dataclasses.replace(facts, other_applications=others), keys


def other_applications(applicant_id: int, program_id: int, keys: list[str]) -> tuple:
    """Live applications of the program by the same applicant or sharing a claim, oldest first."""
    sharing = sa.select(ApplicationClaim.application_id).where(
        ApplicationClaim.program_id == program_id, ApplicationClaim.claim_key.in_(keys)
    )
    rows = db.session.execute(
        sa.select(Application.id, Application.number, Application.applicant_id)
        .where(
            Application.program_id == program_id,
            Application.status.in_(LIVE_STATUSES),
            sa.or_(Application.applicant_id == applicant_id, Application.id.in_(sharing)),
        )
        .order_by(Application.id)
    ).all()
    if not rows:
        return ()
    claimed: dict[int, tuple[set, set]] = {row.id: (set(), set()) for row in rows}
    for application_id, key in db.session.execute(
        sa.select(ApplicationClaim.application_id, ApplicationClaim.claim_key).where(
            ApplicationClaim.application_id.in_(list(claimed))
        )
    ):
        kind, value = _parse_key(key)
        claimed[application_id][0 if kind == "parcel" else 1].add(value)
    return tuple(
        OtherApplication(
            row.number,
            row.applicant_id,
            frozenset(claimed[row.id][0]),
            frozenset(claimed[row.id][1]),
        )
        for row in rows
    )
