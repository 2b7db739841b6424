"""The log's queue: entries written by their change's own transaction, waiting for the
sequencer (:mod:`subsidy.audit.sequencer`) to give them their indices."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, scoped_session

from subsidy.audit.canonical import canonical_bytes
from subsidy.audit.models import AuditQueued

# session.info key: a transaction of this session queued entries or held the log lock, so the
# sequencer should run once it ends.
SEQUENCE_AFTER = "subsidy.audit.sequence_after"


class Pending(NamedTuple):
    """An entry to append: from the queue (``entry_id``) or from a lock holder (None)."""

    entry_id: int | None
    timestamp: str
    actor: str
    action: str
    subject: str
    data: dict


def _plain(session: Session) -> Session:
    return session() if isinstance(session, scoped_session) else session


def mark_for_sequencing(session: Session) -> None:
    _plain(session).info[SEQUENCE_AFTER] = True


def wants_sequencing(session: Session) -> bool:
    """Whether the transaction that just ended queued or appended entries (and forget it)."""
    return bool(_plain(session).info.pop(SEQUENCE_AFTER, False))


def queue_entries(session: Session, items: Sequence[Pending]) -> list[dict]:
    """Write ``items`` to the queue in the caller's transaction: one insert, no lock. The
    entries returned carry their queue ``id`` and ``index`` None."""
    if not items:
        return []
    table = AuditQueued.__table__
    rows = [
        {
            "timestamp": item.timestamp,
            "actor": item.actor,
            "action": item.action,
            "subject": item.subject,
            "data": canonical_bytes(item.data).decode("utf-8"),
        }
        for item in items
    ]
    ids = session.execute(
        sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    ).scalars()
    mark_for_sequencing(session)
    return [
        {
            "id": entry_id,
            "index": None,
            "timestamp": item.timestamp,
            "actor": item.actor,
            "action": item.action,
            "subject": item.subject,
            "data": item.data,
        }
        for entry_id, item in zip(ids, items, strict=True)
    ]


def queued(session: Session, limit: int | None = None) -> list[Pending]:
    """The committed (and this transaction's own) queued entries, oldest id first."""
    query = sa.select(
        AuditQueued.id,
        AuditQueued.timestamp,
        AuditQueued.actor,
        AuditQueued.action,
        AuditQueued.subject,
        AuditQueued.data,
    ).order_by(AuditQueued.id)
    if limit is not None:
        query = query.limit(limit)
    return [
        Pending(row.id, row.timestamp, row.actor, row.action, row.subject, json.loads(row.data))
        for row in session.execute(query)
    ]


def forget_queued(session: Session, ids: list[int]) -> None:
    """Delete integrated rows from the queue (their entries are in the log, the trigger checks)."""
    if ids:
        session.execute(sa.delete(AuditQueued.__table__).where(AuditQueued.id.in_(ids)))


def has_queued(session: Session) -> bool:
    return session.execute(sa.select(AuditQueued.id).limit(1)).first() is not None
