"""`subsidy audit publish`: the checkpoint as a signed note, the witnesses asked with
add-checkpoint (c2sp.org/tlog-witness), their cosignatures verified before they are stored and
served with the checkpoint; every refusal named per witness. The witnesses here are written in
the test from the spec (the real ones, in separate processes, are in tests/witness)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from subsidy.audit import note
from subsidy.audit.models import AuditCheckpointNote, AuditCosignature
from subsidy.audit.publish import Answer, publish
from subsidy.audit.queries import checkpoint_note, served_checkpoint_size, tree_head
from subsidy.audit.services import log_size
from subsidy.audit.signing import log_origin, log_verifier
from subsidy.extensions import db
from tests.log_owner import fill_log
from tests.spec_witness import SpecWitness, posting


@pytest.fixture
def witnesses(app):
    fill_log(7)
    db.session.commit()
    pair = [SpecWitness(f"witness{n}.example/w", log_verifier()) for n in (1, 2)]
    app.config["WITNESSES"] = tuple(w.config() for w in pair)
    app.config["WITNESS_QUORUM"] = 2
    yield pair
    app.config["WITNESSES"], app.config["WITNESS_QUORUM"] = (), 0


_post = posting


def test_a_checkpoint_is_a_signed_note_the_log_key_verifies(app):
    fill_log(5)
    published = publish()
    text = checkpoint_note(published.tree_size, log_origin())
    checked = note.verify_note(text, [log_verifier()])
    checkpoint = note.parse_checkpoint(checked.body)
    head = tree_head()
    assert (checkpoint.origin, checkpoint.size, checkpoint.root.hex()) == (
        log_origin(),
        head["tree_size"],
        head["root_hash"],
    )
    assert log_origin() == "subsidy.test/log"  # the host of the public URL (the tests')


def test_both_witnesses_cosign_and_the_served_note_verifies_with_a_quorum_of_two(witnesses):
    published = publish(post=_post(witnesses))
    assert published.ok and published.cosignatures == 2, [o.line() for o in published.witnesses]
    served = served_checkpoint_size(log_origin(), tuple(w.config() for w in witnesses), 2)
    assert served == published.tree_size == log_size(db.session)
    text = checkpoint_note(served, log_origin())
    checked = note.verify_note(text, [log_verifier(), *(w.verifier for w in witnesses)])
    assert len(checked.verified) == 3
    # Growth: each witness is asked from the size it cosigned, with a consistency proof.
    fill_log(4)
    db.session.commit()
    again = publish(post=_post(witnesses))
    assert again.ok and [o.old_size for o in again.witnesses] == [published.tree_size] * 2
    assert all(w.size == again.tree_size for w in witnesses)


def test_a_witness_that_knows_a_later_size_is_asked_again_from_it(witnesses, monkeypatch):
    from subsidy.audit import publish as publishing

    first = publish(post=_post(witnesses)).tree_size
    fill_log(3)
    db.session.commit()
    # As if this log had lost the cosignatures it stored: it asks from 0, the witnesses answer
    # 409 with the size they hold, and are asked again with a proof from there.
    monkeypatch.setattr(publishing, "last_cosigned_size", lambda origin, witness: 0)
    asked = []
    post = _post(witnesses)

    def recording(url, body):
        asked.append(note.parse_add_checkpoint(body)[0])
        return post(url, body)

    result = publish(post=recording)
    assert result.ok, [o.line() for o in result.witnesses]
    assert sorted(asked) == [0, 0, first, first]


@pytest.mark.parametrize(
    ("status", "named"),
    [
        (403, "does not trust the log's key (403)"),
        (404, "does not know the log's origin (404)"),
        (422, "refused the consistency proof (422)"),
        (500, "answered HTTP 500"),
    ],
)
def test_each_refusal_is_named_for_its_witness_and_the_quorum_fails(witnesses, status, named):
    witnesses[1].lie = status
    result = publish(post=_post(witnesses))
    first, second = result.witnesses
    assert first.cosigned and not second.cosigned
    assert second.witness == "witness2.example/w" and named in second.error
    assert not result.ok and result.cosignatures == 1


def test_a_cosignature_that_does_not_verify_is_not_stored(witnesses):
    witnesses[1].lie = "bad-signature"
    result = publish(post=_post(witnesses))
    assert "does not verify" in result.witnesses[1].error
    stored = db.session.execute(sa.select(AuditCosignature.witness)).scalars().all()
    assert stored == ["witness1.example/w"]


def test_an_unreachable_witness_is_reported(witnesses, app):
    def post(url, body):
        if "witness2" in url:
            return Answer(0, b"Connection refused")
        return _post(witnesses)(url, body)

    result = publish(post=post)
    assert "no answer" in result.witnesses[1].error and "Connection refused" in (
        result.witnesses[1].error
    )


def test_a_witness_that_saw_a_larger_tree_shows_a_rollback(witnesses):
    publish(post=_post(witnesses))
    witnesses[0].size += 100  # it cosigned a tree this log no longer has
    result = publish(post=_post(witnesses))
    outcome = result.witnesses[0]
    assert outcome.rollback and "rolled back" in outcome.error and not result.ok


def test_an_old_checkpoint_is_signed_as_a_note_under_a_new_origin(app):
    fill_log(3)
    publish()
    size = log_size(db.session)
    app.config["LOG_ORIGIN"] = "subsidies.example.kz/log"
    try:
        again = publish()
        assert again.tree_size == size  # no new checkpoint: the same tree, a new name
        notes = db.session.execute(
            sa.select(AuditCheckpointNote.origin).where(AuditCheckpointNote.tree_size == size)
        ).scalars()
        assert set(notes) == {"subsidy.test/log", "subsidies.example.kz/log"}
        text = checkpoint_note(size, "subsidies.example.kz/log")
        note.verify_note(text, [log_verifier()])
    finally:
        app.config["LOG_ORIGIN"] = None


def test_the_log_serves_its_checkpoint_and_vkey_in_c2sp_form(app, client):
    import base64
    import hashlib

    from subsidy.audit.signing import signing_key

    assert client.get("/log/checkpoint").status_code == 404  # nothing signed yet
    vkey = client.get("/log/vkey")
    assert vkey.headers["Content-Type"] == "text/plain; charset=utf-8"
    name, key_id, key = vkey.text.split("+", 2)  # base64 may hold "+" too
    raw = signing_key().public_key.public_bytes_raw()
    assert name == "subsidy.test/log" and base64.b64decode(key) == b"\x01" + raw
    assert key_id == hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4].hex()
    fill_log(3)
    publish()
    served = client.get("/log/checkpoint")
    assert served.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert served.headers["Cache-Control"] == "public, max-age=5"
    text = served.data.decode()
    origin, size, root, blank, signature, end = text.split("\n")
    head = tree_head()
    assert (origin, int(size), blank, end) == (name, head["tree_size"], "", "")
    assert base64.b64decode(root).hex() == head["root_hash"]
    dash, signer, signed = signature.split(" ")
    assert (dash, signer) == ("\u2014", name)
    signed = base64.b64decode(signed)
    assert signed[:4].hex() == key_id
    signing_key().public_key.verify(signed[4:], f"{origin}\n{size}\n{root}\n".encode())
