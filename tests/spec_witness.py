"""A tlog-witness written in the tests from the spec's text (c2sp.org/tlog-witness), called in
process: what `subsidy audit publish` is checked against besides the real witness processes."""

from __future__ import annotations

import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subsidy.audit import merkle, note
from subsidy.audit.publish import Answer
from subsidy.audit.witnesses import Witness


class SpecWitness:
    """tlog-witness's add-checkpoint, as the spec words it, for one trusted log key."""

    def __init__(self, name: str, log_key: note.Verifier) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.verifier = note.verifier_for(name, note.COSIGNATURE_V1, self.key.public_key())
        self.log_key = log_key
        self.size, self.root = 0, b""
        self.requests = 0
        self.lie = None  # a status to answer instead, or "bad-signature"

    def config(self) -> Witness:
        return Witness(self.verifier, f"http://{self.verifier.name}")

    def __call__(self, body: bytes) -> Answer:
        self.requests += 1
        if isinstance(self.lie, int):
            return Answer(self.lie, b"no\n")
        try:
            old, proof, text = note.parse_add_checkpoint(body)
        except note.NoteError:
            return Answer(400, b"malformed\n")
        try:
            checked = note.verify_note(text, [self.log_key])
        except note.NoteError:
            return Answer(403, b"no trusted signature\n")
        checkpoint = note.parse_checkpoint(checked.body)
        if checkpoint.origin != self.log_key.name:
            return Answer(404, b"unknown origin\n")
        if old > checkpoint.size:
            return Answer(400, b"old size is larger\n")
        if old != self.size:
            return Answer(409, f"{self.size}\n".encode(), "text/x.tlog.size")
        if old == checkpoint.size:
            if checkpoint.root != self.root:
                return Answer(409, f"{self.size}\n".encode(), "text/x.tlog.size")
        elif old and not merkle.verify_consistency(
            old, checkpoint.size, self.root, checkpoint.root, proof
        ):
            return Answer(422, b"inconsistent\n")
        self.size, self.root = checkpoint.size, checkpoint.root
        signature = note.cosign(self.key, self.verifier.name, checked.body, int(time.time()))
        if self.lie == "bad-signature":
            signature = note.Signature(
                signature.name,
                signature.key_id,
                signature.signature[:-1] + bytes([signature.signature[-1] ^ 1]),
            )
        return Answer(200, signature.line(), "text/plain")


def posting(witnesses):
    """A ``post`` for :func:`subsidy.audit.publish.publish` that reaches these witnesses."""
    by_url = {w.config().add_checkpoint_url: w for w in witnesses}
    return lambda url, body: by_url[url](body)
