"""What a database owner can do to the log, for the tamper drills: fill it through the service,
switch its guards off, cut it back. Both databases roll this back with the test."""

from __future__ import annotations

import sqlalchemy as sa

from subsidy.audit.services import append_entry, lock_log
from subsidy.extensions import db

LOG_TABLES = (
    "audit_entries",
    "audit_nodes",
    "audit_checkpoints",
    "audit_checkpoint_notes",
    "audit_cosignatures",
)


def fill_log(count: int, actor: str = "test") -> None:
    """Entries appended at once, under the log lock (a writer's entries are otherwise queued
    until the sequencer runs after its commit)."""
    lock_log(db.session)
    for number in range(count):
        append_entry(actor=actor, action="payment", subject=f"application:{number}", data={})


def disable_log_guards(backend: str) -> None:
    """Every trigger on the log's tables off (PostgreSQL) or dropped (SQLite)."""
    if backend == "postgresql":
        for table in LOG_TABLES:
            db.session.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        return
    names = db.session.execute(
        sa.text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN :t"
        ).bindparams(sa.bindparam("t", expanding=True)),
        {"t": list(LOG_TABLES)},
    ).scalars()
    for name in list(names):
        db.session.execute(sa.text(f"DROP TRIGGER {name}"))


def cut_log(keep: int) -> None:
    """The log back to its first ``keep`` entries, with every trace of the later ones: the
    subtree hashes covering them, the checkpoints beyond, their notes and cosignatures."""
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE entry_index >= :k"), {"k": keep})
    db.session.execute(
        sa.text("DELETE FROM audit_nodes WHERE (node_index + 1) * (1 << level) > :k"),
        {"k": keep},
    )
    for table in ("audit_cosignatures", "audit_checkpoint_notes", "audit_checkpoints"):
        db.session.execute(sa.text(f"DELETE FROM {table} WHERE tree_size > :k"), {"k": keep})
