"""Whole-log verification and export, streaming from the database.

Verification reuses the offline verifier's :class:`LogVerifier`, so the service and an auditor
with an export run the same checks: every leaf recomputed from its stored bytes and compared
with the stored leaf hash, indices in order, and every stored checkpoint's signature and root.
The service also checks what an export does not carry: that the columns stored beside each entry
(created_at, actor, action, subject: what pages and filters read) are the hashed entry's, and
that ``audit_nodes`` (what proofs are computed from) holds exactly the subtree hashes the entries
give: each one compared as the entries complete it, none missing, none beyond the log; and that
every C2SP note and cosignature stored has its checkpoint (a deleted one leaves them behind).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

import sqlalchemy as sa

from subsidy.audit import checkpoints
from subsidy.audit.models import AuditCheckpoint, AuditEntry, AuditNode
from subsidy.audit.services import log_size
from subsidy.audit.signing import signing_key
from subsidy.audit.verify import (
    LogVerifier,
    Problem,
    StoredRow,
    export_line,
    node_beyond_reason,
)
from subsidy.db import begin_read_only
from subsidy.extensions import db

STREAM_BATCH = 20_000
NODE_BATCH = 20_000  # stored nodes read per query and level
MAX_LEVEL = 62  # node_index << level stays within a BIGINT


def _stream_rows():
    query = sa.select(AuditEntry.entry_index, AuditEntry.canonical, AuditEntry.leaf_hash).order_by(
        AuditEntry.entry_index
    )
    result = db.session.execute(
        query.execution_options(yield_per=STREAM_BATCH, stream_results=True)
    )
    return result


def _created_text(connection: sa.Connection) -> sa.ColumnElement[str]:
    """created_at as the database writes it in the form the service hashes timestamps
    (``2026-11-26T12:25:01.123456+00:00``): the verifier compares that as bytes, and parses it
    only where it differs. Converting a million datetimes in Python would cost more than all
    the bytes comparisons."""
    if connection.dialect.name == "postgresql":
        utc = sa.func.timezone("UTC", AuditEntry.created_at)
        return sa.func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
    # SQLite holds the UTC time as text, "2026-11-26 12:25:01.123456" (subsidy.db.UTCDateTime).
    text = sa.type_coerce(AuditEntry.created_at, sa.String)
    return sa.func.replace(text, " ", "T").op("||")("+00:00")


def _stored_batches(connection: sa.Connection, step: int) -> Iterator[list[StoredRow]]:
    """Every entry with the columns stored beside it (:data:`verify.StoredRow`), ``step`` rows
    at a time, in index order. Read with the driver's own cursor (a server-side one on
    PostgreSQL) as plain tuples: building SQLAlchemy rows would cost more than all the checks."""
    entry = AuditEntry
    query = sa.select(
        entry.entry_index,
        entry.canonical,
        entry.leaf_hash,
        _created_text(connection),
        entry.actor,
        entry.action,
        entry.subject,
    ).order_by(entry.entry_index)
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    raw = connection.connection
    if connection.dialect.name == "postgresql":
        cursor = raw.cursor(name="subsidy_audit_verify")  # psycopg: a server-side cursor
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(step):
            yield rows
    finally:
        cursor.close()


class StoredNodes:
    """``audit_nodes`` for the verifier (a :class:`verify.NodeSource`): each level read in index
    order, ``batch`` indices a query (one primary-key range), as far as the log's ``size``.

    Two million rows at a million entries: they are read with the driver's own cursor, as plain
    values, on the session's connection (its transaction), hashes alone while none is missing."""

    def __init__(self, connection: sa.Connection, size: int, batch: int = NODE_BATCH) -> None:
        self._cursor = connection.connection.cursor
        self._size = size
        self._batch = batch
        self._levels: dict[int, tuple[int, list[bytes | None]]] = {}  # first index, hashes
        mark = "%s" if connection.dialect.paramstyle in ("format", "pyformat") else "?"
        where = f"FROM {AuditNode.__tablename__} WHERE level = {mark} AND node_index >= {mark}"
        where += f" AND node_index < {mark} ORDER BY node_index"
        self._hashes, self._pairs = f"SELECT hash {where}", f"SELECT node_index, hash {where}"

    def take(self, level: int, lo: int, hi: int) -> list[bytes | None]:
        start, hashes = self._levels.get(level, (lo, []))
        if not start <= lo <= start + len(hashes):
            start, hashes = lo, []  # not where the level was read up to: start again there
        fetched = start + len(hashes)
        if hi > fetched:
            upto = max(hi, min(fetched + self._batch, self._size >> level))
            hashes = hashes[lo - start :] + self._read(level, fetched, upto)
            start = lo
        self._levels[level] = (start, hashes)
        return hashes[lo - start : hi - start]

    def _read(self, level: int, lo: int, hi: int) -> list[bytes | None]:
        """Nodes ``lo, ..., hi - 1`` in order; None for a missing one."""
        cursor = self._cursor()
        try:
            cursor.execute(self._hashes, (level, lo, hi))
            hashes: list[bytes | None] = [value for (value,) in cursor.fetchall()]
            if len(hashes) == hi - lo:  # the primary key makes them exactly lo, ..., hi - 1
                return hashes
            cursor.execute(self._pairs, (level, lo, hi))
            found = dict(cursor.fetchall())
            return [found.get(index) for index in range(lo, hi)]
        finally:
            cursor.close()


def _first_node_beyond_the_log() -> Problem | None:
    """A stored node that the log does not have, the one naming the lowest index: one statement,
    so that the log's size and the nodes are read at the same moment, whatever else appends."""
    size = sa.select(
        sa.func.coalesce(sa.func.max(AuditEntry.entry_index), -1) + 1
    ).scalar_subquery()

    def first(*where: sa.ColumnElement[bool], descending: bool = False) -> sa.ScalarSelect[int]:
        column = AuditNode.node_index.desc() if descending else AuditNode.node_index
        query = sa.select(AuditNode.node_index).where(*where).order_by(column).limit(1)
        return query.scalar_subquery()

    columns = [size]
    for level in range(MAX_LEVEL + 1):
        at = AuditNode.level == level
        columns.append(
            first(at, AuditNode.node_index >= size.op(">>")(sa.literal_column(str(level))))
        )
        columns.append(first(at, AuditNode.node_index < 0, descending=True))
    for where in (AuditNode.level < 0, AuditNode.level > MAX_LEVEL):
        level_query = sa.select(AuditNode.level).where(where).order_by(AuditNode.level).limit(1)
        columns.append(level_query.scalar_subquery())
    found = db.session.execute(sa.select(*columns)).one()
    log_size, *per_level, below, above = found
    beyond = [
        node_beyond_reason(level, node, log_size)
        for number, node in enumerate(per_level)
        if node is not None
        for level in [number // 2]
    ]
    for level in (below, above):
        if level is not None:
            node = db.session.execute(
                sa.select(sa.func.min(AuditNode.node_index)).where(AuditNode.level == level)
            ).scalar_one()
            beyond.append(node_beyond_reason(level, node, log_size))
    if not beyond:
        return None
    index, reason = min(beyond, key=lambda named: named[0])
    return Problem(reason, index=index)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    line: str  # what `subsidy audit verify` prints
    size: int


def _first_bad_signature(public_key, signed: list[dict]) -> Problem | None:
    for checkpoint in signed:
        problem = checkpoints.checkpoint_problem(public_key, checkpoint)
        if problem is not None:
            return Problem(problem, checkpoint=checkpoint["tree_size"])
    return None


def _first_bad_note(public_key, roots: dict[int, bytes]) -> Problem | None:
    """The C2SP side of the checkpoints: every note signature verifies under the log's key over
    its checkpoint's root, and every note and cosignature has its checkpoint. A checkpoint its
    owner deleted leaves its note and cosignatures behind (or the witnesses, which hold it,
    refuse the next publication); a cosignature of a configured witness verifies under its key.
    Few rows (one per checkpoint): read and checked before the entries."""
    from flask import current_app

    from subsidy.audit import note
    from subsidy.audit.models import AuditCheckpointNote, AuditCosignature

    notes = db.session.execute(
        sa.select(AuditCheckpointNote).order_by(AuditCheckpointNote.tree_size)
    ).scalars()
    bodies: dict[tuple[int, str], bytes] = {}
    for row in notes:
        size, origin = row.tree_size, row.origin
        if size not in roots:
            return Problem(
                f"a C2SP note of a checkpoint at {size} entries (origin {origin}) is stored, "
                "but not the checkpoint: it was deleted",
                checkpoint=size,
            )
        body = note.checkpoint_body(origin, size, roots[size])
        if not note.verifier_for(origin, note.ED25519, public_key).verify(body, row.signature):
            return Problem(
                f"its C2SP note signature (origin {origin}) does not verify", checkpoint=size
            )
        bodies[(size, origin)] = body
    witnesses = {(w.name, w.verifier.key_id): w.verifier for w in current_app.config["WITNESSES"]}
    cosignatures = db.session.execute(
        sa.select(AuditCosignature).order_by(AuditCosignature.tree_size)
    ).scalars()
    for row in cosignatures:
        size = row.tree_size
        body = bodies.get((size, row.origin))
        if body is None:
            return Problem(
                f"witness {row.witness} cosigned a checkpoint at {size} entries (origin "
                f"{row.origin}) that is no longer stored: it was deleted",
                checkpoint=size,
            )
        witness = witnesses.get((row.witness, bytes(row.key_id)))
        stamped = row.timestamp.to_bytes(8, "big") + bytes(row.signature)
        if witness is not None and not witness.verify(body, stamped):
            return Problem(
                f"the stored cosignature of witness {row.witness} does not verify",
                checkpoint=size,
            )
    return None


# Checks of the features above the log that each change and its entry exist together (the
# entry in the log or its queue): each returns the FAIL line of the first disagreement, or None.
_CHANGE_CHECKS: list[Callable[[], str | None]] = []


def register_change_check(check: Callable[[], str | None]) -> None:
    if check not in _CHANGE_CHECKS:
        _CHANGE_CHECKS.append(check)


def _first_unmatched_change() -> str | None:
    for check in _CHANGE_CHECKS:
        line = check()
        if line is not None:
            return line
    return None


def verify_log_steps(step: int = STREAM_BATCH):
    """Verify the log, yielding the number of entries checked so far after every ``step``
    entries (so a page can show progress), and last the :class:`Outcome`.

    The checkpoints' signatures (10,000 at a million entries, a tenth of the work) are checked
    on a second thread while this one streams and hashes the entries: the Ed25519 check runs
    without the GIL. A bad signature is reported before anything the entries show, as if it
    had been checked first."""
    begin_read_only(db.session)
    size = log_size(db.session)
    connection = db.session.connection()
    verifier = LogVerifier(nodes=StoredNodes(connection, size))
    public_key = signing_key().public_key
    rows = db.session.execute(
        sa.select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)
    ).scalars()
    signed, roots = [], {}
    for row in rows:
        signed.append(row.as_dict())
        roots[row.tree_size] = bytes(row.root_hash)
        verifier.expect_root(row.tree_size, bytes(row.root_hash))
    bad_note = _first_bad_note(public_key, roots)
    if bad_note is not None:
        yield Outcome(False, str(bad_note), size)
        return
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkpoint-signatures")
    batches = _stored_batches(connection, step)
    try:
        signatures = pool.submit(_first_bad_signature, public_key, signed)
        for batch in batches:
            verifier.feed_stored_rows(batch)
            yield verifier.size
            if verifier.problem is not None:
                break
            if signatures.done() and signatures.result() is not None:
                break  # a bad signature is the answer: no need to read further
        bad_signature = signatures.result()
    finally:
        batches.close()
        pool.shutdown(wait=False, cancel_futures=True)
    if bad_signature is not None:
        yield Outcome(False, str(bad_signature), size)
    elif not verifier.finish():
        yield Outcome(False, str(verifier.problem), size)
    elif (beyond := _first_node_beyond_the_log()) is not None:
        yield Outcome(False, str(beyond), size)
    elif (unmatched := _first_unmatched_change()) is not None:
        yield Outcome(False, unmatched, size)
    else:
        yield Outcome(True, f"OK {verifier.size} entries, root {verifier.root().hex()}", size)


def verify_log(on_progress: Callable[[int], None] | None = None) -> tuple[bool, str, int]:
    """(ok, the line to print, log size)."""
    for step in verify_log_steps():
        if isinstance(step, Outcome):
            return step.ok, step.line, step.size
        if on_progress is not None:
            on_progress(step)
    raise AssertionError("verify_log_steps ends with an Outcome")


def export_log(out: BinaryIO) -> int:
    """Write the log as JSONL for ``python -m subsidy.audit.verify``; returns the entry count."""
    begin_read_only(db.session)
    count = 0
    for index, canonical, leaf in _stream_rows():
        out.write(export_line(index, bytes(canonical), bytes(leaf)))
        count += 1
    return count
