"""The witness's add-checkpoint decision and its state, in process (fast; HTTP is tested apart)."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subsidy.audit import merkle, note
from subsidy.witness.core import SIZE_TYPE, Witness
from subsidy.witness.state import State, StateError
from tests.witness.fakelog import FakeLog, race

NOW = 1_750_000_000
WITNESS_NAME = "audit-chamber.example/witness"


@pytest.fixture
def log() -> FakeLog:
    log = FakeLog("example.org/log")
    log.grow(40)
    return log


@pytest.fixture
def witness(tmp_path, log) -> Witness:
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"witness").digest())
    return Witness(WITNESS_NAME, key, [log.verifier], State(tmp_path / "state.sqlite"), lambda: NOW)


def cosigned(witness: Witness, log: FakeLog, old: int, size: int) -> note.VerifiedNote:
    answer = witness.add_checkpoint(log.request(old, size))
    assert answer.status == 200, answer.body
    text = log.checkpoint(size) + answer.body
    return note.verify_note(text, [witness.verifier])


def stored_size(witness: Witness, origin: str = "example.org/log") -> int:
    with witness.state.transaction() as tx:
        latest = tx.latest(origin)
    return 0 if latest is None else latest.size


def test_first_checkpoint_and_growth_are_cosigned_and_stored(witness, log) -> None:
    first = cosigned(witness, log, 0, 5)
    assert first.verified == [witness.verifier]
    assert note.cosignature_timestamp(first.signatures[-1]) == NOW
    second = cosigned(witness, log, 5, 17)
    assert note.parse_checkpoint(second.body).size == 17
    with witness.state.transaction() as tx:
        latest = tx.latest(log.origin)
    assert latest is not None
    assert (latest.size, latest.root, latest.note) == (17, log.roots[17], log.checkpoint(17))
    assert latest.updated == NOW


def test_the_same_checkpoint_again_is_cosigned_again(witness, log) -> None:
    cosigned(witness, log, 0, 8)
    cosigned(witness, log, 8, 8)
    assert stored_size(witness) == 8


def test_stale_old_size_is_a_conflict_with_the_stored_size(witness, log) -> None:
    cosigned(witness, log, 0, 10)
    for old in (0, 3, 9, 11):
        answer = witness.add_checkpoint(log.request(old, 20))
        assert (answer.status, answer.content_type, answer.body) == (409, SIZE_TYPE, b"10\n")


def test_rollback_is_refused(witness, log) -> None:
    cosigned(witness, log, 0, 10)
    shrink = note.render_add_checkpoint(10, [], log.checkpoint(5))  # old size above the new one
    assert witness.add_checkpoint(shrink).status == 400
    answer = witness.add_checkpoint(log.request(5, 5))
    assert (answer.status, answer.body) == (409, b"10\n")
    assert stored_size(witness) == 10


def test_same_size_other_root_is_a_conflict_and_kept_as_evidence(witness, log) -> None:
    cosigned(witness, log, 0, 10)
    other = hashlib.sha256(b"a fork").digest()
    request = note.render_add_checkpoint(10, [], log.checkpoint(10, root=other))
    answer = witness.add_checkpoint(request)
    assert (answer.status, answer.content_type, answer.body) == (409, SIZE_TYPE, b"10\n")
    assert witness.state.evidence_count() == 1
    witness.add_checkpoint(request)  # the same proof twice is kept once
    assert witness.state.evidence_count() == 1


def test_a_bad_consistency_proof_is_unprocessable(witness, log) -> None:
    cosigned(witness, log, 0, 10)
    proof = log.proof(10, 20)
    proof[0] = hashlib.sha256(b"tampered").digest()
    answer = witness.add_checkpoint(note.render_add_checkpoint(10, proof, log.checkpoint(20)))
    assert answer.status == 422
    # A proof for another pair of sizes, and a fork at a larger size.
    wrong = note.render_add_checkpoint(10, log.proof(9, 20), log.checkpoint(20))
    assert witness.add_checkpoint(wrong).status == 422
    fork = note.render_add_checkpoint(10, log.proof(10, 20), log.checkpoint(20, root=bytes(32)))
    assert witness.add_checkpoint(fork).status == 422
    assert stored_size(witness) == 10
    assert witness.state.evidence_count() == 3


def test_empty_tree_rules(witness, log) -> None:
    assert witness.add_checkpoint(log.request(0, 0)).status == 200
    bad_root = note.render_add_checkpoint(0, [], log.checkpoint(0, root=bytes(32)))
    assert witness.add_checkpoint(bad_root).status == 422
    with_proof = note.render_add_checkpoint(0, [log.roots[3]], log.checkpoint(3))
    assert witness.add_checkpoint(with_proof).status == 422
    assert stored_size(witness) == 0


def test_unknown_origin_is_not_found(witness) -> None:
    stranger = FakeLog("other.example/log")
    stranger.grow(3)
    assert witness.add_checkpoint(stranger.request(0, 3)).status == 404


def test_a_checkpoint_not_signed_by_the_log_is_forbidden(witness, log) -> None:
    impostor = Ed25519PrivateKey.from_private_bytes(bytes(32))
    assert witness.add_checkpoint(log.request(0, 3, key=impostor)).status == 403
    # The log's key and name, but a signature that does not verify.
    body = note.checkpoint_body(log.origin, 3, log.roots[3])
    forged = note.Signature(log.origin, log.verifier.key_id, bytes(64))
    signed = note.format_note(body, [note.sign_note(log.key, log.origin, body), forged])
    assert witness.add_checkpoint(note.render_add_checkpoint(0, [], signed)).status == 403
    assert stored_size(witness) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"old 0\n",
        b"old 00\n\nx\n",
        b"\xff",
        "old 0\n\nexample.org/log\n3\n\n— x AAAAAA==\n".encode(),
    ],
)
def test_malformed_requests_are_bad_requests(witness, body) -> None:
    assert witness.add_checkpoint(body).status == 400


def test_several_keys_for_one_origin_and_several_logs(tmp_path, log) -> None:
    rotated = FakeLog("example.org/log", seed=b"the log's next key")
    other = FakeLog("other.example/log")
    other.grow(4)
    key = Ed25519PrivateKey.generate()
    witness = Witness(
        "w", key, [log.verifier, rotated.verifier, other.verifier], State(tmp_path / "s.sqlite")
    )
    assert witness.add_checkpoint(log.request(0, 5)).status == 200
    rotated.grow(40)  # the same leaves: the same tree, signed with the next key
    assert witness.add_checkpoint(rotated.request(5, 9)).status == 200
    assert witness.add_checkpoint(other.request(0, 4)).status == 200
    assert [s.size for s in witness.state.all_logs()] == [9, 4]


def test_state_survives_a_restart(tmp_path, log) -> None:
    key = Ed25519PrivateKey.generate()
    first = Witness("w", key, [log.verifier], State(tmp_path / "s.sqlite"))
    assert first.add_checkpoint(log.request(0, 12)).status == 200
    again = Witness("w", key, [log.verifier], State(tmp_path / "s.sqlite"))
    assert again.add_checkpoint(log.request(0, 20)).body == b"12\n"
    assert again.add_checkpoint(log.request(12, 20)).status == 200


def test_a_foreign_or_newer_state_file_is_refused(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 7")
    with pytest.raises(StateError, match="version 7"):
        State(path)
    (tmp_path / "junk").write_bytes(b"not a database" * 100)
    with pytest.raises(StateError):
        State(tmp_path / "junk")


def test_concurrent_submissions_never_roll_back(witness, log) -> None:
    """Threads race to extend the tree from whatever they last saw. Whatever the interleaving,
    the cosigned checkpoints form one chain (each from the previous one's size) and the stored
    size is the largest cosigned one: no request checked against an old state wins."""
    cosigned(witness, log, 0, 1)

    def submit(old: int, size: int) -> tuple[int, bytes]:
        answer = witness.add_checkpoint(log.request(old, size))
        return answer.status, answer.body

    chain = race(submit, threads=8, steps=12, limit=40)
    assert stored_size(witness) == chain
    assert merkle.verify_consistency(1, chain, log.roots[1], log.roots[chain], log.proof(1, chain))
