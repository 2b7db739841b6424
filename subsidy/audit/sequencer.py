"""The log's queue and its sequencer.

A change writes its entries to ``audit_queue`` in its own transaction, without any lock: they
commit with it or not at all. The sequencer then gives committed entries their indices, in the
order it finds them (queue id order within a batch), and appends each batch to the tree — the
entries, the subtree hashes they complete and a checkpoint every ``AUDIT_CHECKPOINT_EVERY`` —
deleting the queued rows in the same short transaction under the log lock.

It runs wherever a transaction that queued an entry (or held the log lock) has just ended: the
app after a request's commit, a command after its commit, ``subsidy worker``. Whoever finds work
takes the log lock with a try-lock; who fails knows the holder looks at the queue again after it
lets go (:func:`run_sequencer`), so nothing committed waits for a next write. A writer that must
know its index in its own transaction (a decision, whose letter states it) takes the log lock
first (:func:`~subsidy.audit.services.lock_log`): its entries are then appended at once, after
everything committed to the queue before them.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from subsidy.audit.models import AuditEntry, AuditQueued
from subsidy.audit.queue import has_queued, wants_sequencing
from subsidy.audit.services import integrate_batch, try_lock_log
from subsidy.extensions import db

# How many queued entries one batch integrates (Trillian: up to 1,000 per 100 ms).
BATCH = 1000
# What a client of a queued entry is told to wait (Retry-After, seconds).
RETRY_AFTER = 1


class Batch(NamedTuple):
    entries: int
    locked_seconds: float  # from the lock taken to the commit


def run_sequencer(*, max_batches: int | None = None) -> list[Batch]:
    """Integrate what is queued, batch after batch, each in its own short transaction under the
    log lock, until the queue is empty or another process holds the lock. After letting the lock
    go it looks once more without it: an entry committed while it held the lock, whose writer's
    try-lock failed, is integrated now rather than at the next write. Call it between
    transactions: it commits and rolls back the session's."""
    session = db.session
    batches: list[Batch] = []
    while max_batches is None or len(batches) < max_batches:
        if not has_queued(session):
            session.rollback()
            break
        started = time.perf_counter()
        if not try_lock_log(session):
            session.rollback()  # the holder looks at the queue again once it lets go
            break
        count = integrate_batch(session, BATCH)
        session.commit()
        batches.append(Batch(count, time.perf_counter() - started))
    wants_sequencing(session)  # its own batches need no further pass
    return batches


def entry_position(session: Session, entry_id: int) -> tuple[bool, int | None]:
    """(known, index) of the entry with queue id ``entry_id``: index None while it is queued."""
    index = session.execute(
        sa.select(AuditEntry.entry_index).where(AuditEntry.entry_id == entry_id)
    ).scalar_one_or_none()
    if index is not None:
        return True, index
    waiting = session.get(AuditQueued, entry_id) is not None
    return waiting, None


_swept = False  # whether this process has looked at the queue since it started


def sequence_after(session: Session) -> None:
    """After a request's or a command's transaction: integrate what it queued (and, once per
    process, whatever a killed process left queued). The change is committed already, so a
    failure here is logged, never the request's: its entries wait for the next pass or the
    worker."""
    global _swept
    if not wants_sequencing(session) and _swept:
        return
    _swept = True
    try:
        run_sequencer()
    except sa.exc.SQLAlchemyError as error:
        # One line, not a traceback: the database may be gone (subsidy.outage answers that).
        logging.getLogger(__name__).warning(
            "the log's sequencer failed, its entries stay queued: %s", type(error).__name__
        )
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            session.rollback()
