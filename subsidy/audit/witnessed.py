"""Checking a checkpoint and a tlog-proof offline, with a quorum of witnesses (pure).

A checkpoint counts only when the log's own key signed it and at least ``quorum`` of the
trusted witnesses cosigned it (c2sp.org/tlog-cosignature). A cosignature line of a trusted
witness that does not verify rejects the whole note (signed-note: "clients SHOULD reject");
lines of unknown keys are ignored. The refusal names the witnesses that are missing.

``python -m subsidy.audit.witnessed PROOF.tlog-proof --vkey LOG_VKEY [--witness VKEY ...]
[--quorum K] [--pdf FILE]`` checks a decision's proof: the checkpoint as above, the entry's
inclusion in it (the entry is the proof's extra data, hashed as an RFC 9162 leaf) and, given
the PDF, that the entry logged that PDF's SHA-256. Exit 0 and ``OK ...``; 1 and ``FAIL ...``;
2 for bad usage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from subsidy.audit import merkle, note


class NotWitnessed(note.NoteError):
    pass


@dataclass(frozen=True)
class Witnessed:
    checkpoint: note.Checkpoint
    cosigned_by: tuple[str, ...]


def verify_witnessed(
    text: bytes, log: note.Verifier, witnesses: Sequence[note.Verifier], quorum: int
) -> Witnessed:
    """The checkpoint of a note the log signed and ``quorum`` witnesses cosigned; NoteError
    (:class:`NotWitnessed` for a missing quorum) naming what is wrong."""
    if log.type != note.ED25519:
        raise note.NoteError("the log's vkey must be of an Ed25519 note key (type 0x01)")
    for witness in witnesses:
        if witness.type != note.COSIGNATURE_V1:
            raise note.NoteError(f"witness {witness.name}: not a cosignature/v1 key (type 0x04)")
    if quorum > len(witnesses):
        raise note.NoteError(f"a quorum of {quorum} needs at least {quorum} witness keys")
    checked = note.verify_note(text, [log])  # the log's own signature first
    checkpoint = note.parse_checkpoint(checked.body)
    if checkpoint.origin != log.name:
        raise note.NoteError(
            f"the checkpoint's origin {checkpoint.origin!r} is not the log key's name {log.name!r}"
        )
    cosigned = []
    for witness in witnesses:
        lines = [
            s for s in checked.signatures if (s.name, s.key_id) == (witness.name, witness.key_id)
        ]
        if any(not witness.verify(checked.body, s.signature) for s in lines):
            raise note.NoteError(f"witness {witness.name}: its cosignature does not verify")
        if lines:
            cosigned.append(witness.name)
    if len(cosigned) < quorum:
        missing = [w.name for w in witnesses if w.name not in cosigned]
        raise NotWitnessed(
            f"{len(cosigned)} of {len(witnesses)} witnesses cosigned, a quorum of {quorum} is "
            f"needed; missing: {', '.join(missing)}"
        )
    return Witnessed(checkpoint, tuple(cosigned))


@dataclass(frozen=True)
class ProvenEntry:
    witnessed: Witnessed
    index: int
    entry: dict[str, Any]


def verify_tlog_proof(
    text: bytes, log: note.Verifier, witnesses: Sequence[note.Verifier], quorum: int
) -> ProvenEntry:
    """A tlog-proof of one of this log's entries (its canonical bytes as the extra data)."""
    proof = note.parse_tlog_proof(text)
    witnessed = verify_witnessed(proof.note, log, witnesses, quorum)
    checkpoint = witnessed.checkpoint
    if proof.extra is None:
        raise note.NoteError("the proof carries no entry (extra data): nothing to hash")
    leaf = merkle.leaf_hash(proof.extra)
    if not merkle.verify_inclusion(
        leaf, proof.index, checkpoint.size, proof.proof, checkpoint.root
    ):
        raise note.NoteError(
            f"entry {proof.index} is not included in the checkpoint of {checkpoint.size} entries"
        )
    try:
        entry = json.loads(proof.extra)
    except (UnicodeDecodeError, ValueError):
        raise note.NoteError("the proven entry is not JSON") from None
    if not isinstance(entry, dict) or entry.get("index") != proof.index:
        raise note.NoteError("the proven entry does not state the index it is proven at")
    return ProvenEntry(witnessed, proof.index, entry)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        print(f"error: {what} {path}: {error.strerror}", file=sys.stderr)
        raise SystemExit(2) from None


def _vkey(text: str, what: str) -> note.Verifier:
    try:
        return note.parse_vkey(text.strip())
    except note.NoteError as error:
        print(f"error: {what}: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m subsidy.audit.witnessed", description=__doc__.split("\n")[0])
    parser.add_argument("proof", help="the .tlog-proof file")
    parser.add_argument("--vkey", required=True, help="the log's verifier key (/log/vkey)")
    parser.add_argument("--witness", action="append", default=[], help="a witness's vkey")
    parser.add_argument("--quorum", type=int, help="cosignatures needed (default: all)")
    parser.add_argument("--pdf", help="the decision PDF the entry must have logged")
    args = parser.parse_args(argv)
    log = _vkey(args.vkey, "--vkey")
    witnesses = [_vkey(text, "--witness") for text in args.witness]
    quorum = len(witnesses) if args.quorum is None else args.quorum
    if quorum < 0:
        parser.error("--quorum must not be negative")
    try:
        proven = verify_tlog_proof(_read(args.proof, "proof"), log, witnesses, quorum)
    except note.NoteError as error:
        print(f"FAIL {error}")
        return 1
    data = proven.entry.get("data") or {}
    if args.pdf:
        digest = hashlib.sha256(_read(args.pdf, "--pdf")).hexdigest()
        if data.get("pdf_sha256") != digest:
            print(f"FAIL entry {proven.index} does not log this PDF (SHA-256 {digest})")
            return 1
    checkpoint = proven.witnessed.checkpoint
    what = f"document {data['document']}" if "document" in data else proven.entry.get("action")
    print(
        f"OK entry {proven.index} ({what}) is in the log {checkpoint.origin} of "
        f"{checkpoint.size} entries, cosigned by {len(proven.witnessed.cosigned_by)} of "
        f"{len(witnesses)} witnesses"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
