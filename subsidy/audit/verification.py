"""Whole-log verification and export, streaming from the database.

Verification reuses the offline verifier's :class:`LogVerifier`, so the service and an auditor
with an export run the same checks: every leaf recomputed from its stored bytes and compared
with the stored leaf hash, indices in order, and every stored checkpoint's signature and root.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import BinaryIO

import sqlalchemy as sa

from subsidy.audit import checkpoints
from subsidy.audit.models import AuditCheckpoint, AuditEntry
from subsidy.audit.services import log_size
from subsidy.audit.signing import signing_key
from subsidy.audit.verify import LogVerifier, Problem, export_line
from subsidy.db import begin_read_only
from subsidy.extensions import db

STREAM_BATCH = 20_000


def _stream_rows():
    query = sa.select(AuditEntry.entry_index, AuditEntry.canonical, AuditEntry.leaf_hash).order_by(
        AuditEntry.entry_index
    )
    result = db.session.execute(
        query.execution_options(yield_per=STREAM_BATCH, stream_results=True)
    )
    return result


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


def verify_log_steps(step: int = STREAM_BATCH):
    """Verify the log, yielding the number of entries checked so far after every ``step``
    entries (so a page can show progress), and last the :class:`Outcome`.

    The checkpoints' signatures (10,000 at a million entries, a tenth of the work) are checked
    on a second thread while this one streams and hashes the entries: the Ed25519 check runs
    without the GIL. A bad signature is reported before anything the entries show, as if it
    had been checked first."""
    begin_read_only(db.session)
    size = log_size(db.session)
    verifier = LogVerifier()
    public_key = signing_key().public_key
    rows = db.session.execute(
        sa.select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)
    ).scalars()
    signed = []
    for row in rows:
        signed.append(row.as_dict())
        verifier.expect_root(row.tree_size, bytes(row.root_hash))
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkpoint-signatures")
    try:
        signatures = pool.submit(_first_bad_signature, public_key, signed)
        stream = iter(_stream_rows())
        while verifier.problem is None:
            if signatures.done() and signatures.result() is not None:
                break  # a bad signature is the answer: no need to read further
            batch = list(islice(stream, step))
            if not batch:
                break
            verifier.feed_rows(batch)
            yield verifier.size
        bad_signature = signatures.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if bad_signature is not None:
        yield Outcome(False, str(bad_signature), size)
    elif not verifier.finish():
        yield Outcome(False, str(verifier.problem), size)
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
