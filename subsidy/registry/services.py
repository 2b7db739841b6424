"""Importing a registry extract: one snapshot, all rows, one audit entry, one transaction."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from subsidy.audit.actions import Action
from subsidy.audit.services import append_entry, lock_log
from subsidy.db import utcnow
from subsidy.errors import ValidationFailed
from subsidy.extensions import db
from subsidy.registry.models import (
    KINDS,
    LandRecord,
    LivestockRecord,
    RegistrySnapshot,
    TaxRecord,
)

BATCH = 5_000


def _rows_for(kind: str, snapshot_id: int, rows: list[dict]) -> tuple[type, list[dict]]:
    if kind == "livestock":
        return LivestockRecord, [{**row, "snapshot_id": snapshot_id} for row in rows]
    if kind == "land":
        return LandRecord, [{**row, "snapshot_id": snapshot_id} for row in rows]
    return TaxRecord, [
        {"iin_bin": row["iin_bin"], "arrears_amount": row["arrears"], "snapshot_id": snapshot_id}
        for row in rows
    ]


SHRINK_LIMIT = 0.5


def _refuse_sudden_shrink(kind: str, count: int, allow: bool) -> None:
    """A snapshot replaces the previous one: a truncated file would silently drop facts (say,
    a debtor's arrears). Less than half the previous size needs the operator's word."""
    previous = db.session.execute(
        sa.select(RegistrySnapshot)
        .where(RegistrySnapshot.kind == kind)
        .order_by(RegistrySnapshot.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if previous is not None and not allow and count < previous.row_count * SHRINK_LIMIT:
        raise ValidationFailed.field(
            "rows",
            f"{count} rows, against {previous.row_count} in snapshot {previous.id}; "
            "if the registry really shrank, import with --allow-shrink",
        )


def import_extract(
    *,
    kind: str,
    rows: list[dict],
    source_name: str,
    source_sha256: str,
    as_of: date,
    actor: str,
    on_progress=None,
    allow_shrink: bool = False,
) -> RegistrySnapshot:
    """Store parsed rows (see :func:`subsidy.registry.extracts.parse_extract`) as a snapshot."""
    if kind not in KINDS:
        raise ValidationFailed.field("kind", f"must be one of {', '.join(KINDS)}")
    if not rows:
        raise ValidationFailed.field("rows", "the extract has no rows")
    lock_log(db.session)
    _refuse_sudden_shrink(kind, len(rows), allow_shrink)
    snapshot = RegistrySnapshot(
        kind=kind,
        as_of=as_of,
        source_name=source_name[:255],
        source_sha256=source_sha256,
        row_count=len(rows),
        imported_at=utcnow(),
    )
    db.session.add(snapshot)
    db.session.flush()
    model, values = _rows_for(kind, snapshot.id, rows)
    for start in range(0, len(values), BATCH):
        db.session.execute(sa.insert(model), values[start : start + BATCH])
        if on_progress is not None:
            on_progress(min(len(values), start + BATCH))
    append_entry(
        actor=actor,
        action=Action.REGISTRY_IMPORTED,
        subject=f"registry_snapshot:{snapshot.id}",
        data={"kind": kind, "rows": len(rows), "sha256": source_sha256, "as_of": as_of.isoformat()},
    )
    return snapshot
