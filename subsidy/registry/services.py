"""Importing a registry extract: one snapshot, all rows, one audit entry, one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

import sqlalchemy as sa
from flask import Flask, current_app

from subsidy.audit.actions import Action
from subsidy.audit.services import append_entry, holds_log_lock, lock_log
from subsidy.db import utcnow
from subsidy.errors import ValidationFailed
from subsidy.extensions import db
from subsidy.registry.extracts import HEADERS
from subsidy.registry.models import (
    KINDS,
    AnimalRecord,
    LandRecord,
    LivestockRecord,
    RegistrySnapshot,
    TaxRecord,
)

BATCH = 5_000
MODELS = {
    "livestock": LivestockRecord,
    "animals": AnimalRecord,
    "land": LandRecord,
    "tax": TaxRecord,
}
# Per kind, the columns after snapshot_id that the parsed fields (HEADERS, in order) go to.
COLUMNS = {
    "livestock": ("iin_bin", "species", "heads", "identified_heads"),
    "animals": ("iin_bin", "animal_id", "species", "sex", "birth_date", "registered_on"),
    "land": ("iin_bin", "cadastral_number", "hectares"),
    "tax": ("iin_bin", "arrears_amount"),
}


def _writer(kind: str, snapshot_id: int) -> Callable[[list[dict]], None]:
    """What stores a batch of parsed rows in the session's transaction: COPY on PostgreSQL
    (a quarter of the time of an executemany INSERT there), a Core executemany INSERT elsewhere
    (not the ORM's bulk insert, which converts every row on its way). Both pass the values
    through the columns' types (Money, ExactNumeric)."""
    table = MODELS[kind].__table__
    fields, columns = HEADERS[kind], ("snapshot_id", *COLUMNS[kind])
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        insert = sa.insert(table)

        def execute(batch: list[dict]) -> None:
            if fields == COLUMNS[kind]:
                values = [{**row, "snapshot_id": snapshot_id} for row in batch]
            else:
                values = [
                    dict(zip(columns, (snapshot_id, *[row[f] for f in fields]), strict=True))
                    for row in batch
                ]
            connection.execute(insert, values)

        return execute

    processors = [table.c[name].type.bind_processor(dialect) for name in columns]
    quote = dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(map(quote, columns))}) FROM STDIN"

    def copy(batch: list[dict]) -> None:
        cursor = connection.connection.dbapi_connection.cursor()
        with cursor, cursor.copy(statement) as out:
            for row in batch:
                values = (snapshot_id, *[row[f] for f in fields])
                out.write_row(
                    [v if p is None else p(v) for p, v in zip(processors, values, strict=True)]
                )

    return copy


SHRINK_LIMIT = 0.5
_AFTER_IMPORT = "subsidy.registry.after_import"


def after_import(app: Flask, listener: Callable[..., Callable[[], object] | None]) -> None:
    """Have ``listener(snapshot=..., actor=...)`` run on every import, in the import's own
    transaction (so what it writes commits with the snapshot, or neither does). It is called
    once the rows are stored, before the log lock, to read and prepare; what it returns, if
    anything, is called after the import's entry, under the lock, to write (its entries then
    follow the import's in the log). The registry sits below the features that watch it
    (obligations): the app factory connects them."""
    app.extensions.setdefault(_AFTER_IMPORT, []).append(listener)


def _refuse_sudden_shrink(previous: RegistrySnapshot | None, count: int, allow: bool) -> None:
    """A snapshot replaces the previous one: a truncated file would silently drop facts (say,
    a debtor's arrears). Less than half the previous size needs the operator's word."""
    if previous is not None and not allow and count < previous.row_count * SHRINK_LIMIT:
        raise ValidationFailed.field(
            "rows",
            f"{count} rows, against {previous.row_count} in snapshot {previous.id}; "
            "if the registry really shrank, import with --allow-shrink",
        )


# Transaction-scoped advisory lock keys serialising the imports of one kind on PostgreSQL
# ("SUBSIDYR" + the kind's position); SQLite has one writer at a time anyway.
_KIND_LOCK_BASE = 0x5355425349445200


def _lock_kind(kind: str) -> None:
    if db.session.get_bind().dialect.name != "postgresql":
        return
    if holds_log_lock(db.session):
        # A transaction that already wrote (the demo seed) holds the log lock: asking for the
        # kind's lock now would invert the order (kind, then log) and could deadlock with an
        # import. Holding the log lock, it is serialised with every other writer's entry already.
        return
    key = _KIND_LOCK_BASE + KINDS.index(kind)
    db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def import_extract(
    *,
    kind: str,
    rows: Iterable[dict],
    source_name: str,
    source_sha256: str | Callable[[], str],
    as_of: date,
    actor: str,
    on_progress: Callable[[int], None] | None = None,
    allow_shrink: bool = False,
) -> RegistrySnapshot:
    """Store parsed rows as a snapshot, in the caller's transaction.

    ``rows`` may be a list or a stream (:func:`subsidy.registry.extracts.iter_extract`): they are
    inserted ``BATCH`` at a time as they come, so a million-animal extract is never held whole.
    Whatever the stream raises (a bad line near the end) propagates, and the caller rolls back
    the rows already inserted; so does a refusal found at the end (no rows, a sudden shrink),
    since the number of rows is known only then. ``source_sha256`` may be a function, asked
    after the last row (the digest of a file hashed while it was read). ``on_progress`` gets the
    number of rows stored so far after each batch.
    """
    if kind not in KINDS:
        raise ValidationFailed.field("kind", f"must be one of {', '.join(KINDS)}")
    # Imports of one kind one at a time (snapshots of a kind are numbered in the order of their
    # entries, and the previous one cannot change meanwhile), but the rows are read, checked and
    # stored before the log lock: a million-animal extract takes seconds, and every other writer
    # waits for that lock. Uncommitted rows are invisible to evaluations until the entry commits.
    _lock_kind(kind)
    previous = db.session.execute(
        sa.select(RegistrySnapshot)
        .where(RegistrySnapshot.kind == kind)
        .order_by(RegistrySnapshot.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    snapshot = RegistrySnapshot(
        kind=kind,
        as_of=as_of,
        source_name=source_name[:255],
        source_sha256="",  # known once the rows are read
        row_count=0,
        imported_at=utcnow(),
    )
    db.session.add(snapshot)
    db.session.flush()
    store, count, batch = _writer(kind, snapshot.id), 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            store(batch)
            count += len(batch)
            batch = []
            if on_progress is not None:
                on_progress(count)
    if batch:
        store(batch)
        count += len(batch)
        if on_progress is not None:
            on_progress(count)
    if not count:
        raise ValidationFailed.field("rows", "the extract has no rows")
    _refuse_sudden_shrink(previous, count, allow_shrink)
    snapshot.row_count = count
    snapshot.source_sha256 = source_sha256 if isinstance(source_sha256, str) else source_sha256()
    db.session.flush()
    writers = [
        listener(snapshot=snapshot, actor=actor)
        for listener in current_app.extensions.get(_AFTER_IMPORT, ())
    ]
    lock_log(db.session)
    append_entry(
        actor=actor,
        action=Action.REGISTRY_IMPORTED,
        subject=f"registry_snapshot:{snapshot.id}",
        data={
            "kind": kind,
            "rows": count,
            "sha256": snapshot.source_sha256,
            "as_of": as_of.isoformat(),
        },
    )
    for write in writers:
        if write is not None:
            write()
    return snapshot
