"""The add-checkpoint decision of c2sp.org/tlog-witness@v1.0.0, apart from HTTP.

:meth:`Witness.add_checkpoint` takes a request body and returns the status, content type and
body to answer with. Checks, in the specification's order:

1. 400 when the body is malformed (old size line, proof lines, signed checkpoint).
2. 404 when no log with the checkpoint's origin is configured.
3. 403 when no signature by a trusted key of that log verifies, or one by a trusted key fails.
4. 400 when the old size is larger than the checkpoint's size.
5. 422 when a checkpoint of size 0 does not have the empty tree's root, or when the old size is
   0 and a proof is sent anyway (nothing needs proving: the empty tree is a prefix of any tree).
6. 409 ``text/x.tlog.size`` with the stored size when the old size is not the stored one.
7. 409 when the old size equals the checkpoint's but the root differs from the stored root.
8. 422 when the consistency proof from the stored tree does not verify.
9. Otherwise the checkpoint becomes the stored one, committed, then cosigned (cosignature/v1,
   the current POSIX time): 200 with the signature line.

Steps 6 to 9 run inside one immediate SQLite transaction (:mod:`subsidy.witness.state`).
Refusals in 7, 8 and 5 (validly signed, yet inconsistent) are kept as evidence.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subsidy.audit import merkle, note
from subsidy.witness.state import LogState, State, Transaction

TEXT = "text/plain; charset=utf-8"
SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = TEXT
    origin: str = "-"
    reason: str = ""


def _refuse(status: int, reason: str, origin: str = "-") -> Answer:
    return Answer(status, f"{reason}\n".encode(), TEXT, origin, reason)


def _conflict(stored_size: int, reason: str, origin: str) -> Answer:
    return Answer(409, f"{stored_size}\n".encode(), SIZE_TYPE, origin, reason)


class Witness:
    """A witness: its name and key, the logs it trusts (by origin), and its state."""

    def __init__(
        self,
        name: str,
        private_key: Ed25519PrivateKey,
        logs: Iterable[note.Verifier],
        state: State,
        clock: Callable[[], float] = time.time,
    ) -> None:
        problem = note.name_problem(name)
        if problem:
            raise ValueError(problem)
        self.name = name
        self._key = private_key
        self.verifier = note.verifier_for(name, note.COSIGNATURE_V1, private_key.public_key())
        self.logs: dict[str, list[note.Verifier]] = {}
        for log in logs:
            self.logs.setdefault(log.name, []).append(log)
        self.state = state
        self._clock = clock

    @property
    def vkey(self) -> str:
        return self.verifier.vkey()

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            old, proof, signed = note.parse_add_checkpoint(body)
            text, _ = note.parse_note(signed)
            checkpoint = note.parse_checkpoint(text)
        except note.NoteError as exc:
            return _refuse(400, f"malformed request: {exc}")
        origin = checkpoint.origin
        trusted = self.logs.get(origin)
        if trusted is None:
            return _refuse(404, f"unknown log origin {origin[:100]!r}")
        try:
            note.verify_note(signed, trusted)
        except note.NoteError as exc:
            return _refuse(403, f"checkpoint not signed by the log: {exc}", origin)
        if old > checkpoint.size:
            return _refuse(400, f"old size {old} is larger than the checkpoint's size", origin)
        with self.state.transaction() as tx:
            answer = self._check_and_store(tx, old, proof, signed, checkpoint, body)
        if answer is not None:
            return answer
        timestamp = max(1, int(self._clock()))
        cosignature = note.cosign(self._key, self.name, text, timestamp)
        return Answer(200, cosignature.line(), TEXT, origin, "cosigned")

    def _check_and_store(
        self,
        tx: Transaction,
        old: int,
        proof: list[bytes],
        signed: bytes,
        checkpoint: note.Checkpoint,
        request: bytes,
    ) -> Answer | None:
        """Steps 5 to 9 inside the transaction: an answer to refuse with, or None (stored)."""
        origin, size, root = checkpoint.origin, checkpoint.size, checkpoint.root
        now = int(self._clock())

        def evidence(status: int, reason: str) -> None:
            tx.record_evidence(origin, now, status, reason, request)

        if size == 0 and root != merkle.EMPTY_ROOT:
            evidence(422, "size 0 with a root that is not the empty tree's")
            return _refuse(422, "a checkpoint of size 0 must have the empty tree's root", origin)
        if old == 0 and proof:
            return _refuse(422, "the proof must be empty when the old size is 0", origin)
        latest = tx.latest(origin)
        stored_size = 0 if latest is None else latest.size
        stored_root = merkle.EMPTY_ROOT if latest is None else latest.root
        if old != stored_size:
            return _conflict(stored_size, f"old size {old}, the witness has {stored_size}", origin)
        if old == size and root != stored_root:
            evidence(409, f"another root at size {size}")
            return _conflict(stored_size, f"another root at size {size}", origin)
        if old and not merkle.verify_consistency(old, size, stored_root, root, proof):
            evidence(422, f"consistency proof from {old} to {size} does not verify")
            return _refuse(422, f"consistency proof from {old} to {size} does not verify", origin)
        tx.store(LogState(origin, size, root, signed, now))
        return None
