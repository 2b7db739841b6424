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
from subsidy.db import lock_name
from subsidy.eligibility.facts import Animal, Facts, Herd, OtherApplication, Parcel
from subsidy.eligibility.rules import Claim, ProgramRules, claims
from subsidy.extensions import db
from subsidy.registry.queries import (
    animal_counts,
    animals_of,
    land_of,
    latest_snapshots,
    livestock_of,
    tax_of,
)


@dataclasses.dataclass(frozen=True)
class Funding:
    """Where an application's claims count: its program (one application per applicant), and
    its funding group and period (no animal or parcel funded twice, across programs)."""

    program_id: int
    group: str
    period: str  # "lifetime" or the year of submission

    @classmethod
    def of(cls, program_id: int, definition, day) -> Funding:
        return cls(program_id, definition.group, definition.funding_period_of(day))


# Two-key advisory lock space (subsidy.db.lock_name) of the funding groups' submissions ("SUB1").
FUNDING_GROUP_LOCK = 0x53554231


def lock_funding_group(group: str) -> None:
    """Until the transaction ends, no other submission (or re-evaluation) of the funding group
    ``group`` is stored: what makes an application live in a group waits for this one, so the
    double-funding and one-application checks see every application committed before it."""
    lock_name(db.session, FUNDING_GROUP_LOCK, group)


def claim_keys(
    parcels: frozenset[str],
    herds: frozenset[tuple[str, str]],
    animal_ids: frozenset[str] = frozenset(),
) -> list[str]:
    keys = [f"parcel:{number}" for number in sorted(parcels)]
    keys += [f"animal:{animal_id}" for animal_id in sorted(animal_ids)]
    keys += [f"animals:{owner}:{species}" for owner, species in sorted(herds)]
    return keys


def keys_of(claim: Claim) -> list[str]:
    """The claim keys an evaluated application stores (``application_claims``)."""
    return claim_keys(claim.parcels, claim.animals, claim.animal_ids)


def _parse_key(key: str) -> tuple[str, object]:
    kind, _, rest = key.partition(":")
    if kind in ("parcel", "animal"):
        return kind, rest
    owner, _, species = rest.partition(":")
    return "animals", (owner, species)


def owners_of(applicant: Applicant) -> list[str]:
    """Whose registry records count for the applicant: its own, and a cooperative's members'."""
    owners = [applicant.iin_bin]
    if applicant.kind is ApplicantKind.COOPERATIVE:
        owners += [member.iin_bin for member in applicant.members]
    return owners


def candidate_animals(applicant: Applicant, species: str) -> tuple[Animal, ...] | None:
    """The applicant's (and members') identified animals of ``species`` in the latest animals
    extract, oldest registration first; None when no animals extract was ever imported."""
    snapshot = latest_snapshots()["animals"]
    if snapshot is None:
        return None
    return tuple(
        Animal(row.animal_id, row.species, row.sex, row.birth_date, row.registered_on, row.iin_bin)
        for row in animals_of(snapshot, owners_of(applicant), species)
    )


def herds_of(snapshots: dict, owners: list[str]) -> tuple[Herd, ...]:
    """The owners' herds by (owner, species): heads and identified heads from the livestock
    extract; where an animals extract exists, the identified heads are instead the owner's
    animals of that species in its latest snapshot (none listed: 0). The identification
    database is then the better count: when it lists more animals than the livestock extract
    has heads, heads is raised to that number (an identified animal is a head), which keeps
    identified <= heads for identified_livestock_share and quantity_within_registry; an
    owner and species with animals and no livestock row is a herd of that many heads, all
    identified."""
    herds = {
        (row.iin_bin, row.species): (row.heads, row.identified_heads)
        for row in livestock_of(snapshots["livestock"], owners)
    }
    if snapshots.get("animals") is not None:
        counts = animal_counts(snapshots["animals"], owners)
        herds = {
            key: (max(heads, counts.get(key, 0)), counts.get(key, 0))
            for key, (heads, _) in herds.items()
        } | {key: (count, count) for key, count in counts.items() if key not in herds}
    return tuple(
        Herd(species, heads, identified, owner)
        for (owner, species), (heads, identified) in sorted(herds.items())
    )


def registry_facts(applicant: Applicant) -> Facts:
    """What the registries say, without other applications."""
    snapshots = latest_snapshots()
    owners = [applicant.iin_bin]
    if applicant.kind is ApplicantKind.COOPERATIVE:
        owners += [member.iin_bin for member in applicant.members]
    herds = herds_of(snapshots, owners)
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
    applicant: Applicant, funding: Funding, definition: ProgramRules
) -> tuple[Facts, list[str]]:
    """(facts, the keys other applications are looked up by): every parcel, herd and candidate
    animal the application could claim, so that the choice of animals can pass over those
    already claimed in the group."""
    facts = registry_facts(applicant)
    if definition.unit == "head":
        facts = dataclasses.replace(facts, animals=candidate_animals(applicant, definition.species))
    everything = claims(definition, facts, Decimal(len(facts.animals or ())))
    # Identified animals also meet an earlier claim on their owner's whole herd.
    herds = everything.herds | {(a.owner, a.species) for a in everything.animals}
    keys = claim_keys(everything.parcels, herds, everything.animal_ids)
    others = other_applications(applicant.id, funding, keys)
    return dataclasses.replace(facts, other_applications=others), keys


def other_applications(applicant_id: int, funding: Funding, keys: list[str]) -> tuple:
    """Live applications of the same applicant in the program, or sharing a claim in the
    funding group and period (whatever their program), oldest first; each with its claims in
    that group and period."""
    # The group's claims, and the program's own whatever group an earlier version gave them
    # (a new version that names a group must still see the claims made before it).
    counted = sa.or_(
        sa.and_(
            ApplicationClaim.funding_group == funding.group,
            ApplicationClaim.period == funding.period,
        ),
        ApplicationClaim.program_id == funding.program_id,
    )
    sharing = sa.select(ApplicationClaim.application_id).where(
        counted, ApplicationClaim.claim_key.in_(keys)
    )
    rows = db.session.execute(
        sa.select(
            Application.id, Application.number, Application.applicant_id, Application.program_id
        )
        .where(
            Application.status.in_(LIVE_STATUSES),
            sa.or_(
                sa.and_(
                    Application.program_id == funding.program_id,
                    Application.applicant_id == applicant_id,
                ),
                Application.id.in_(sharing),
            ),
        )
        .order_by(Application.id)
    ).all()
    if not rows:
        return ()
    claimed: dict[int, dict[str, set]] = {
        row.id: {"parcel": set(), "animals": set(), "animal": set()} for row in rows
    }
    for application_id, key in db.session.execute(
        sa.select(ApplicationClaim.application_id, ApplicationClaim.claim_key).where(
            ApplicationClaim.application_id.in_(list(claimed)), counted
        )
    ):
        kind, value = _parse_key(key)
        claimed[application_id][kind].add(value)
    return tuple(
        OtherApplication(
            row.number,
            row.applicant_id,
            frozenset(claimed[row.id]["parcel"]),
            frozenset(claimed[row.id]["animals"]),
            frozenset(claimed[row.id]["animal"]),
            same_program=row.program_id == funding.program_id,
        )
        for row in rows
    )
