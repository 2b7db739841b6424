"""Writes to the transparency log. Every state-changing service calls :func:`append_entry`
inside its own transaction; nothing here commits."""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, scoped_session

from subsidy.audit import checkpoints, merkle, note, queue
from subsidy.audit.actions import Action
from subsidy.audit.canonical import canonical_bytes
from subsidy.audit.models import AuditCheckpoint, AuditCheckpointNote, AuditEntry, AuditNode
from subsidy.audit.signing import log_origin, signing_key
from subsidy.db import utcnow
from subsidy.errors import Conflict, DomainError
from subsidy.extensions import db

# Transaction-scoped advisory lock key serialising appends on PostgreSQL ("SUBSIDY1").
LOG_LOCK_KEY = 0x5355425349445931
# session.info key: the session transaction in which the lock was taken.
_LOCKED_IN = "subsidy.audit.log_locked_in"


def lock_log(session: Session) -> None:
    """Take the log lock until the end of the transaction: the writer's entries are then
    appended at once (with their indices), after every entry committed to the queue before.

    Only writers that must know an index in their own transaction take it (a decision, whose
    letter states it), and those that lean on it to keep their own reads from changing; any
    other writer's entries go to the queue (:mod:`subsidy.audit.sequencer`). SQLite transactions
    already begin IMMEDIATE (one writer at a time), see subsidy.db. On PostgreSQL the lock is
    asked for once per transaction: later calls in the same transaction cost no round trip.
    """
    if isinstance(session, scoped_session):
        session = session()
    if holds_log_lock(session):
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOG_LOCK_KEY})
    else:
        session.connection()  # begins the transaction (IMMEDIATE): the database is this writer's
    session.info[_LOCKED_IN] = _innermost(session)  # begun by the statement if there was none
    queue.mark_for_sequencing(session)


def try_lock_log(session: Session) -> bool:
    """Take the log lock if no one holds it (the sequencer's way in); False at once otherwise.
    On SQLite the transaction's first write waits for the database as every writer does."""
    if isinstance(session, scoped_session):
        session = session()
    if holds_log_lock(session):
        return True
    if session.get_bind().dialect.name == "postgresql":
        taken = session.execute(
            sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOG_LOCK_KEY}
        ).scalar_one()
        if not taken:
            return False
    else:
        session.connection()
    session.info[_LOCKED_IN] = _innermost(session)
    return True


def holds_log_lock(session: Session) -> bool:
    """Whether this transaction has taken the log lock (PostgreSQL; SQLite's writer always
    holds the database)."""
    if isinstance(session, scoped_session):
        session = session()
    transaction = _innermost(session)
    return transaction is not None and session.info.get(_LOCKED_IN) is transaction


def _innermost(session: Session):
    """The innermost transaction: a lock taken inside a savepoint that is rolled back is released
    with it, so after a savepoint ends the lock is asked for again (a no-op if still held)."""
    return session.get_nested_transaction() or session.get_transaction()


def log_size(session: Session) -> int:
    last = session.execute(sa.select(sa.func.max(AuditEntry.entry_index))).scalar_one()
    return 0 if last is None else last + 1


@functools.lru_cache(maxsize=64)
def _nodes_query(levels: int) -> sa.Select:
    """``(level = :level_0 AND node_index IN :indices_0) OR ...`` for ``levels`` levels: one
    primary-key range per level. A row-value IN list of (level, index) pairs is not used with the
    index by SQLite (every node was scanned: 23 ms per proof at 100,000 entries), and building the
    expression anew for each proof cost more than running it; built once per number of levels."""
    return sa.select(AuditNode.level, AuditNode.node_index, AuditNode.hash).where(
        sa.or_(
            *(
                sa.and_(
                    AuditNode.level == sa.bindparam(f"level_{n}"),
                    AuditNode.node_index.in_(sa.bindparam(f"indices_{n}", expanding=True)),
                )
                for n in range(levels)
            )
        )
    )


def fetch_nodes(session: Session, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    if not wanted:
        return {}
    by_level: dict[int, list[int]] = {}
    for level, index in sorted(wanted):
        by_level.setdefault(level, []).append(index)
    params = {}
    for n, (level, indices) in enumerate(by_level.items()):
        params[f"level_{n}"], params[f"indices_{n}"] = level, indices
    rows = session.execute(_nodes_query(len(by_level)), params)
    found = {(level, index): bytes(value) for level, index, value in rows}
    missing = wanted - found.keys()
    if missing:
        raise LookupError(f"audit_nodes is missing subtree hashes {sorted(missing)[:3]}")
    return found


def load_compact_range(session: Session, size: int) -> merkle.CompactRange:
    """The frontier of a tree of ``size`` leaves: its perfect subtrees, largest first."""
    wanted = merkle.perfect_subtrees(0, size)
    nodes = fetch_nodes(session, set(wanted))
    return merkle.CompactRange(size, [nodes[key] for key in wanted])


def now_timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


# An entry bundle (tlog-tiles) holds each entry behind a 2-byte length.
MAX_ENTRY_BYTES = 0xFFFF


class EntryTooLarge(DomainError):
    status = 422
    code = "entry_too_large"


class Entry(NamedTuple):
    actor: str
    action: Action
    subject: str
    data: dict | None = None


def append_entry(*, actor: str, action: Action, subject: str, data: dict | None = None) -> dict:
    """Log one entry in the caller's transaction and return it.

    ``data`` holds ids and amounts only, never a person's name or IIN: the log is public.
    """
    return append_entries([Entry(actor, action, subject, data)])[0]


def append_entries(items: Sequence[Entry]) -> list[dict]:
    """Log entries, in order, in the caller's transaction; return them.

    Without the log lock they are queued (``id``, ``index`` None) and the sequencer gives them
    their indices once the transaction has committed. A writer holding the lock
    (:func:`lock_log`) has them appended now, after what was queued before: their ``index`` is
    known at once (and ``id`` is None)."""
    session = db.session
    timestamp = now_timestamp()
    pending = []
    for actor, member, subject, data in items:
        # The plain value of the action: what is hashed, stored and read back.
        pending.append(queue.Pending(None, timestamp, actor, str(member), subject, data or {}))
        _require_small_enough(pending[-1])
    if not pending:
        return []
    if not holds_log_lock(session):
        return queue.queue_entries(session, pending)
    before = queue.queued(session)
    appended = _append(session, before + pending)
    queue.forget_queued(session, [item.entry_id for item in before])
    return appended[len(before) :]


def integrate_batch(session: Session, limit: int | None) -> int:
    """Append up to ``limit`` queued entries to the tree; the caller holds the log lock."""
    batch = queue.queued(session, limit)
    _append(session, batch)
    queue.forget_queued(session, [item.entry_id for item in batch])
    return len(batch)


# The largest index a log of this kind will reach, for bounding an entry's size before it has one.
_INDEX_BOUND = 10**15


def _require_small_enough(item: queue.Pending) -> None:
    encoded = canonical_bytes(_entry(item, _INDEX_BOUND))
    if len(encoded) > MAX_ENTRY_BYTES:
        raise EntryTooLarge(
            f"a log entry of {len(encoded)} bytes is more than the {MAX_ENTRY_BYTES} an "
            "entry bundle can hold (c2sp.org/tlog-tiles): nothing was written",
            {"data": [f"at most {MAX_ENTRY_BYTES} bytes logged"]},
        )


def _entry(item: queue.Pending, index: int) -> dict:
    return {
        "index": index,
        "timestamp": item.timestamp,
        "actor": item.actor,
        "action": item.action,
        "subject": item.subject,
        "data": item.data,
    }


def _append(session: Session, items: Sequence[queue.Pending]) -> list[dict]:
    """Give ``items`` the next indices and append them: one read of the tree's frontier and one
    insert each for the entries and the new nodes, however many entries. Under the log lock."""
    if not items:
        return []
    size = log_size(session)
    compact = load_compact_range(session, size)
    every = current_app.config["AUDIT_CHECKPOINT_EVERY"]
    entries, entry_rows, node_rows, due = [], [], [], []
    for item in items:
        entry = _entry(item, compact.size)
        encoded = canonical_bytes(entry)
        leaf = merkle.leaf_hash(encoded)
        entry_rows.append(
            {
                "entry_index": compact.size,
                "created_at": datetime.fromisoformat(item.timestamp),
                "actor": item.actor,
                "action": item.action,
                "subject": item.subject,
                "canonical": encoded,
                "leaf_hash": leaf,
                "entry_id": item.entry_id,
            }
        )
        node_rows += [
            {"level": lvl, "node_index": idx, "hash": value}
            for lvl, idx, value in compact.append(leaf)
        ]
        if every and compact.size % every == 0:
            due.append((compact.size, compact.root()))
        entries.append({"id": item.entry_id, **entry})
    # Plain table inserts: the ORM's bulk-insert path costs more here than the statements.
    session.execute(sa.insert(AuditEntry.__table__), entry_rows)
    session.execute(sa.insert(AuditNode.__table__), node_rows)
    for checkpoint_size, root in due:
        _store_checkpoint(session, checkpoint_size, root)
    return entries


def create_checkpoint() -> dict:
    """Sign the current tree head, unless the latest checkpoint already covers it."""
    session = db.session
    lock_log(session)
    integrate_batch(session, None)  # what was committed to the queue is in the tree it signs
    size = log_size(session)
    latest = latest_checkpoint_row(session)
    if latest is not None and latest.tree_size == size:
        return latest.as_dict()
    if size == 0:
        raise Conflict("the log is empty: nothing to sign")
    root = load_compact_range(session, size).root()
    return _store_checkpoint(session, size, root).as_dict()


def latest_checkpoint_row(session: Session) -> AuditCheckpoint | None:
    return session.execute(
        sa.select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)
    ).scalar_one_or_none()


def _store_checkpoint(session: Session, size: int, root: bytes) -> AuditCheckpoint:
    previous = latest_checkpoint_row(session)
    if previous is not None:
        _require_consistent(session, previous, size, root)
    key = signing_key()
    signed = checkpoints.sign_checkpoint(key.private_key, size, root, now_timestamp())
    row = AuditCheckpoint(
        tree_size=size,
        root_hash=root,
        timestamp=signed["timestamp"],
        key_id=signed["key_id"],
        signature=base64.b64decode(signed["signature"]),
    )
    session.add(row)
    session.flush()
    _sign_note(session, row, origin=log_origin())
    return row


def _sign_note(session: Session, row: AuditCheckpoint, *, origin: str) -> AuditCheckpointNote:
    """The checkpoint as a C2SP signed note under ``origin`` (tlog-checkpoint): the same key,
    the text ``origin\nsize\nbase64(root)\n``."""
    body = note.checkpoint_body(origin, row.tree_size, bytes(row.root_hash))
    signed = note.sign_note(signing_key().private_key, origin, body)
    noted = AuditCheckpointNote(
        tree_size=row.tree_size, origin=origin, signature=signed.signature, signed_at=utcnow()
    )
    session.add(noted)
    session.flush()
    return noted


def note_checkpoint() -> AuditCheckpointNote:
    """The latest checkpoint of the current tree as a signed note under the log's origin: a new
    checkpoint if the log grew, else the latest one, signed as a note now if it never was under
    this origin (a checkpoint from before the log spoke C2SP, or before the origin changed)."""
    session = db.session
    create_checkpoint()
    row = latest_checkpoint_row(session)
    assert row is not None
    origin = log_origin()
    noted = session.get(AuditCheckpointNote, (row.tree_size, origin))
    if noted is not None:
        return noted
    # Signed again under a new name: its root must still be the one the nodes give.
    root = load_compact_range(session, row.tree_size).root()
    if root != bytes(row.root_hash):
        raise Conflict(f"the checkpoint at {row.tree_size} does not sign the log's root")
    return _sign_note(session, row, origin=origin)


def _require_consistent(session: Session, previous: AuditCheckpoint, size: int, root: bytes):
    if previous.tree_size > size:
        raise Conflict(f"checkpoint at {previous.tree_size} is ahead of the log ({size})")
    ranges = merkle.consistency_proof_ranges(previous.tree_size, size)
    nodes = fetch_nodes(session, merkle.nodes_needed(ranges))
    proof = merkle.consistency_proof(previous.tree_size, size, lambda lv, ix: nodes[(lv, ix)])
    if not merkle.verify_consistency(
        previous.tree_size, size, bytes(previous.root_hash), root, proof
    ):
        raise Conflict(
            f"the log is not consistent with the checkpoint at tree size {previous.tree_size}"
        )
