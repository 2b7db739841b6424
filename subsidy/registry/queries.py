"""The registry facts the service holds about an applicant, from the latest snapshots."""

from __future__ import annotations

import sqlalchemy as sa

from subsidy.extensions import db
from subsidy.registry.models import (
    KINDS,
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
