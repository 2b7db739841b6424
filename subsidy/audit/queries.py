"""Reads of the transparency log: entries, tree heads, checkpoints and proofs."""

from __future__ import annotations

import json

import sqlalchemy as sa

from subsidy.audit import merkle
from subsidy.audit.models import AuditCheckpoint, AuditEntry
from subsidy.audit.services import fetch_nodes, latest_checkpoint_row, load_compact_range, log_size
from subsidy.errors import NotFound, ValidationFailed
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
