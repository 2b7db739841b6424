"""Reads of the transparency log: entries, tree heads, checkpoints and proofs."""

from __future__ import annotations

import json

import sqlalchemy as sa

from subsidy.audit import merkle, note
from subsidy.audit.models import (
    AuditCheckpoint,
    AuditCheckpointNote,
    AuditCosignature,
    AuditEntry,
    AuditQueued,
)
from subsidy.audit.services import fetch_nodes, latest_checkpoint_row, load_compact_range, log_size
from subsidy.errors import Conflict, NotFound, ValidationFailed
from subsidy.extensions import db


def entries_page(start: int, limit: int, action: str | None = None, subject: str | None = None):
    """Entries from index ``start`` on, in index order; ``next`` is the index to continue at."""
    query = sa.select(AuditEntry.entry_index, AuditEntry.leaf_hash, AuditEntry.canonical).where(
        AuditEntry.entry_index >= start
    )
    if action:
        query = query.where(AuditEntry.action == action)
    if subject:
        query = query.where(AuditEntry.subject == subject)
    rows = db.session.execute(query.order_by(AuditEntry.entry_index).limit(limit + 1)).all()
    items = [
        {"index": index, "leaf_hash": bytes(leaf).hex(), "entry": json.loads(bytes(canonical))}
        for index, leaf, canonical in rows[:limit]
    ]
    next_start = rows[limit].entry_index if len(rows) > limit else None
    return {"items": items, "next": next_start}


def tree_head() -> dict:
    size = log_size(db.session)
    root = load_compact_range(db.session, size).root()
    return {"tree_size": size, "root_hash": root.hex()}


def latest_checkpoint() -> dict:
    row = latest_checkpoint_row(db.session)
    if row is None:
        raise NotFound("no checkpoint has been signed yet")
    return row.as_dict()


def checkpoints_page(limit: int = 50) -> list[dict]:
    rows = db.session.execute(
        sa.select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(limit)
    ).scalars()
    return [row.as_dict() for row in rows]


def _check_size(name: str, value: int, size: int) -> None:
    if value > size:
        raise ValidationFailed.field(name, f"must be at most the log size {size}")


def inclusion_proof(index: int, tree_size: int) -> dict:
    size = log_size(db.session)
    _check_size("tree_size", tree_size, size)
    if not 0 <= index < tree_size:
        raise ValidationFailed.field("index", "must be at least 0 and less than tree_size")
    ranges = merkle.inclusion_proof_ranges(index, tree_size)
    nodes = fetch_nodes(db.session, merkle.nodes_needed(ranges) | {(0, index)})
    path = merkle.inclusion_proof(index, tree_size, lambda lv, ix: nodes[(lv, ix)])
    return {
        "index": index,
        "tree_size": tree_size,
        "leaf_hash": nodes[(0, index)].hex(),
        "path": [node.hex() for node in path],
    }


def consistency_proof(first: int, second: int) -> dict:
    size = log_size(db.session)
    _check_size("second", second, size)
    if not 0 < first <= second:
        raise ValidationFailed.field("first", "must be at least 1 and at most second")
    ranges = merkle.consistency_proof_ranges(first, second)
    nodes = fetch_nodes(db.session, merkle.nodes_needed(ranges))
    path = merkle.consistency_proof(first, second, lambda lv, ix: nodes[(lv, ix)])
    return {"first": first, "second": second, "path": [node.hex() for node in path]}


def log_entry_of(subject: str, action: str) -> dict | None:
    """``{id, index}`` of the first entry of ``action`` about ``subject``: in the log (its queue
    id, None if it was appended under the log lock), else still queued (index None)."""
    row = db.session.execute(
        sa.select(AuditEntry.entry_id, AuditEntry.entry_index)
        .where(AuditEntry.subject == subject, AuditEntry.action == action)
        .order_by(AuditEntry.entry_index)
        .limit(1)
    ).first()
    if row is not None:
        return {"id": row.entry_id, "index": row.entry_index}
    queued = db.session.execute(
        sa.select(AuditQueued.id)
        .where(AuditQueued.subject == subject, AuditQueued.action == action)
        .order_by(AuditQueued.id)
        .limit(1)
    ).scalar_one_or_none()
    return None if queued is None else {"id": queued, "index": None}


def history_of(subject: str) -> list[dict]:
    """Every entry about ``subject`` (e.g. ``application:42``), oldest first, as the log states
    it: index, time, actor, action and data."""
    entries = db.session.execute(
        sa.select(AuditEntry.entry_index, AuditEntry.created_at, AuditEntry.canonical)
        .where(AuditEntry.subject == subject)
        .order_by(AuditEntry.entry_index)
    )
    history = []
    for index, created_at, canonical in entries:
        entry = json.loads(canonical)
        history.append(
            {
                "index": index,
                "at": created_at,
                "action": entry["action"],
                "actor": entry["actor"],
                "data": entry.get("data") or {},
            }
        )
    return history


def checkpoint_at(tree_size: int) -> dict | None:
    """The signed checkpoint of exactly ``tree_size`` entries, if one was stored."""
    row = db.session.execute(
        sa.select(AuditCheckpoint).where(AuditCheckpoint.tree_size == tree_size)
    ).scalar_one_or_none()
    return None if row is None else row.as_dict()


def root_at(tree_size: int) -> bytes:
    """The root hash of the first ``tree_size`` entries, from the stored subtree hashes."""
    return load_compact_range(db.session, tree_size).root()


# --- the log in C2SP formats ----------------------------------------------------------------


def _note_bytes(noted: AuditCheckpointNote, root: bytes) -> bytes:
    """The signed note of a checkpoint: its text, the log's signature, then every cosignature
    stored for it (each verified under its witness's key when it was received)."""
    from subsidy.audit.signing import signing_key

    body = note.checkpoint_body(noted.origin, noted.tree_size, root)
    log_key = note.verifier_for(noted.origin, note.ED25519, signing_key().public_key)
    signatures = [note.Signature(noted.origin, log_key.key_id, bytes(noted.signature))]
    cosignatures = db.session.execute(
        sa.select(AuditCosignature)
        .where(
            AuditCosignature.tree_size == noted.tree_size,
            AuditCosignature.origin == noted.origin,
        )
        .order_by(AuditCosignature.witness, AuditCosignature.key_id)
    ).scalars()
    for row in cosignatures:
        stamped = row.timestamp.to_bytes(8, "big") + bytes(row.signature)
        signatures.append(note.Signature(row.witness, bytes(row.key_id), stamped))
    return note.format_note(body, signatures)


def checkpoint_note(tree_size: int, origin: str) -> bytes | None:
    """The checkpoint of ``tree_size`` as a signed note under ``origin``, if it was signed so."""
    row = db.session.execute(
        sa.select(AuditCheckpointNote, AuditCheckpoint.root_hash)
        .join(AuditCheckpoint, AuditCheckpoint.tree_size == AuditCheckpointNote.tree_size)
        .where(AuditCheckpointNote.tree_size == tree_size, AuditCheckpointNote.origin == origin)
    ).first()
    return None if row is None else _note_bytes(row[0], bytes(row[1]))


def served_checkpoint_size(origin: str, witnesses, quorum: int) -> int | None:
    """The size of the checkpoint ``/log/checkpoint`` serves: the newest one signed as a note
    under ``origin`` that a quorum of the configured witnesses cosigned (with no witnesses or
    a quorum of 0: the newest signed one). Until one reaches the quorum, the newest signed one,
    with the cosignatures it has: a client that asks for a quorum then refuses it, rightly."""
    newest = newest_note_size(origin)
    if newest is None or not witnesses or quorum == 0:
        return newest
    names = [(w.name, w.verifier.key_id) for w in witnesses]
    counted = (
        sa.select(AuditCosignature.tree_size)
        .where(
            AuditCosignature.origin == origin,
            sa.tuple_(AuditCosignature.witness, AuditCosignature.key_id).in_(names),
        )
        .group_by(AuditCosignature.tree_size)
        .having(sa.func.count() >= quorum)
        .order_by(AuditCosignature.tree_size.desc())
        .limit(1)
    )
    witnessed = db.session.execute(counted).scalar_one_or_none()
    return newest if witnessed is None else witnessed


def served_size(origin: str) -> int | None:
    """:func:`served_checkpoint_size` under the configured witnesses and quorum."""
    from flask import current_app

    config = current_app.config
    return served_checkpoint_size(origin, config["WITNESSES"], config["WITNESS_QUORUM"])


def last_cosigned_size(origin: str, witness) -> int:
    """The largest checkpoint ``witness`` cosigned for ``origin`` as far as this log stored it
    (0 if none): the old size to ask it from (it answers 409 with its own if it knows better)."""
    size = db.session.execute(
        sa.select(sa.func.max(AuditCosignature.tree_size)).where(
            AuditCosignature.origin == origin,
            AuditCosignature.witness == witness.name,
            AuditCosignature.key_id == witness.verifier.key_id,
        )
    ).scalar_one()
    return 0 if size is None else size


def consistency_hashes(first: int, second: int) -> list[bytes]:
    """The RFC 6962 consistency proof between two sizes, from the stored subtree hashes (an
    empty one from size 0, as tlog-witness wants)."""
    if first == 0 or first == second:
        return []
    ranges = merkle.consistency_proof_ranges(first, second)
    nodes = fetch_nodes(db.session, merkle.nodes_needed(ranges))
    return merkle.consistency_proof(first, second, lambda lv, ix: nodes[(lv, ix)])


def newest_note_size(origin: str) -> int | None:
    return db.session.execute(
        sa.select(sa.func.max(AuditCheckpointNote.tree_size)).where(
            AuditCheckpointNote.origin == origin
        )
    ).scalar_one()


def cosigners_of(tree_size: int, origin: str) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).where(
            AuditCosignature.tree_size == tree_size, AuditCosignature.origin == origin
        )
    ).scalar_one()


class NotYetCheckpointed(Conflict):
    code = "not_yet_checkpointed"


def tlog_proof(index: int) -> bytes:
    """A c2sp.org/tlog-proof of entry ``index``: its inclusion proof against the checkpoint
    ``/log/checkpoint`` serves (witnessed) if that covers it, else the newest signed note that
    does, with the entry's canonical bytes as the extra data (so that an auditor can hash the
    leaf and read, say, the PDF's SHA-256 it logged). 409 until a checkpoint covers it."""
    from subsidy.audit.signing import log_origin

    origin = log_origin()
    entry = db.session.get(AuditEntry, index)
    if entry is None:
        raise NotFound(f"no log entry {index}")
    size = served_size(origin)
    if size is None or size <= index:
        size = newest_note_size(origin)
    if size is None or size <= index:
        raise NotYetCheckpointed(
            f"log entry {index} is not yet in a signed checkpoint; it will be in the next "
            "one the log publishes"
        )
    text = checkpoint_note(size, origin)
    assert text is not None
    ranges = merkle.inclusion_proof_ranges(index, size)
    nodes = fetch_nodes(db.session, merkle.nodes_needed(ranges))
    path = merkle.inclusion_proof(index, size, lambda lv, ix: nodes[(lv, ix)])
    return note.render_tlog_proof(index, path, text, extra=bytes(entry.canonical))
