"""The registry facts the service holds about an applicant, from the latest snapshots."""

from __future__ import annotations

import sqlalchemy as sa

from subsidy.extensions import db
from subsidy.registry.models import (
    KINDS,
    AnimalRecord,
    LandRecord,
    LivestockRecord,
    RegistrySnapshot,
    TaxRecord,
)


def latest_snapshots() -> dict[str, RegistrySnapshot | None]:
    latest = {}
    for kind in KINDS:
        latest[kind] = db.session.execute(
            sa.select(RegistrySnapshot)
            .where(RegistrySnapshot.kind == kind)
            .order_by(RegistrySnapshot.id.desc())
            .limit(1)
        ).scalar_one_or_none()
    return latest


def livestock_of(snapshot: RegistrySnapshot | None, iin_bins: list[str]) -> list[LivestockRecord]:
    if snapshot is None or not iin_bins:
        return []
    return list(
        db.session.execute(
            sa.select(LivestockRecord)
            .where(
                LivestockRecord.snapshot_id == snapshot.id, LivestockRecord.iin_bin.in_(iin_bins)
            )
            .order_by(LivestockRecord.iin_bin, LivestockRecord.species)
        ).scalars()
    )


def land_of(snapshot: RegistrySnapshot | None, iin_bins: list[str]) -> list[LandRecord]:
    if snapshot is None or not iin_bins:
        return []
    return list(
        db.session.execute(
            sa.select(LandRecord)
            .where(LandRecord.snapshot_id == snapshot.id, LandRecord.iin_bin.in_(iin_bins))
            .order_by(LandRecord.iin_bin, LandRecord.cadastral_number)
        ).scalars()
    )


def tax_of(snapshot: RegistrySnapshot | None, iin_bin: str) -> TaxRecord | None:
    if snapshot is None:
        return None
    return db.session.execute(
        sa.select(TaxRecord).where(
            TaxRecord.snapshot_id == snapshot.id, TaxRecord.iin_bin == iin_bin
        )
    ).scalar_one_or_none()


def animals_of(
    snapshot: RegistrySnapshot | None, iin_bins: list[str], species: str | None = None
) -> list[AnimalRecord]:
    """The identified animals of these owners in an animals snapshot, oldest registration
    first (then by animal id)."""
    if snapshot is None or not iin_bins:
        return []
    query = sa.select(AnimalRecord).where(
        AnimalRecord.snapshot_id == snapshot.id, AnimalRecord.iin_bin.in_(iin_bins)
    )
    if species is not None:
        query = query.where(AnimalRecord.species == species)
    query = query.order_by(AnimalRecord.registered_on, AnimalRecord.animal_id)
    return list(db.session.execute(query).scalars())


def animals_by_id(snapshot: RegistrySnapshot | None, animal_ids: list[str]) -> list[AnimalRecord]:
    """These animals as an animals snapshot lists them (an id it does not list is left out)."""
    if snapshot is None or not animal_ids:
        return []
    return list(
        db.session.execute(
            sa.select(AnimalRecord)
            .where(AnimalRecord.snapshot_id == snapshot.id, AnimalRecord.animal_id.in_(animal_ids))
            .order_by(AnimalRecord.animal_id)
        ).scalars()
    )


def animal_counts(
    snapshot: RegistrySnapshot | None, iin_bins: list[str]
) -> dict[tuple[str, str], int]:
    """How many animals each of these owners has of each species in an animals snapshot:
    ``{(iin_bin, species): count}``, only the pairs it lists."""
    if snapshot is None or not iin_bins:
        return {}
    rows = db.session.execute(
        sa.select(AnimalRecord.iin_bin, AnimalRecord.species, sa.func.count())
        .where(AnimalRecord.snapshot_id == snapshot.id, AnimalRecord.iin_bin.in_(iin_bins))
        .group_by(AnimalRecord.iin_bin, AnimalRecord.species)
    )
    return {(owner, species): count for owner, species, count in rows}
