"""Reads of the log by the id a write's entry got in the log's queue (the API's, not the pages':
what they raise reaches only the JSON API)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from subsidy.audit.models import AuditEntry, AuditQueued
from subsidy.audit.queries import inclusion_proof
from subsidy.errors import NotFound, ValidationFailed
from subsidy.extensions import db


class Queued(Exception):
    """The entry is in the log's queue: it has no index, and so no proof, yet."""


def entry_by_id(entry_id: int, tree_size: int | None = None) -> dict:
    """The entry that had queue id ``entry_id``, once the sequencer gave it its index; with
    ``tree_size``, its inclusion proof in that tree. :class:`Queued` while it waits."""
    row = db.session.execute(
        sa.select(AuditEntry.entry_index, AuditEntry.leaf_hash, AuditEntry.canonical).where(
            AuditEntry.entry_id == entry_id
        )
    ).first()
    if row is None:
        if db.session.get(AuditQueued, entry_id) is not None:
            raise Queued(entry_id)
        raise NotFound(f"no log entry with id {entry_id}")
    found = {
        "id": entry_id,
        "index": row.entry_index,
        "leaf_hash": bytes(row.leaf_hash).hex(),
        "entry": json.loads(bytes(row.canonical)),
    }
    if tree_size is not None:
        if tree_size <= row.entry_index:
            raise ValidationFailed.field(
                "tree_size", f"must be more than the entry's index {row.entry_index}"
            )
        proof = inclusion_proof(row.entry_index, tree_size)
        found |= {"tree_size": tree_size, "path": proof["path"]}
    return found
