"""The tamper drill of a deleted checkpoint, on both databases: the owner deletes it with the
guards off. Its C2SP note or the witnesses' cosignatures left behind show it to `subsidy audit
verify`; deleted with them, the witnesses themselves show the rollback to the next publish."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from subsidy.audit.publish import publish
from subsidy.audit.services import log_size
from subsidy.audit.signing import log_verifier
from subsidy.extensions import db
from tests.log_owner import cut_log, disable_log_guards, fill_log
from tests.spec_witness import SpecWitness, posting


@pytest.fixture
def published(app):
    """250 entries (automatic checkpoints at 100 and 200), published at 250 to one witness."""
    fill_log(250)
    db.session.commit()
    witness = SpecWitness("witness.example/w", log_verifier())
    app.config["WITNESSES"], app.config["WITNESS_QUORUM"] = (witness.config(),), 1
    assert publish(post=posting([witness])).ok
    yield witness
    app.config["WITNESSES"], app.config["WITNESS_QUORUM"] = (), 0


def _owner_deletes(backend: str, table: str, where: str) -> None:
    disable_log_guards(backend)
    db.session.execute(sa.text(f"DELETE FROM {table} WHERE {where}"))
    db.session.commit()


def _verify(runner):
    db.session.commit()
    return runner.invoke(args=["audit", "verify"])


def test_the_published_log_verifies(runner, published):
    result = _verify(runner)
    assert result.exit_code == 0 and "OK 250 entries" in result.output, result.output


def test_a_deleted_checkpoint_leaves_its_note_behind(runner, published, backend):
    _owner_deletes(backend, "audit_checkpoints", "tree_size = 250")
    result = _verify(runner)
    assert result.exit_code == 1
    assert "FAIL checkpoint 250: a C2SP note of a checkpoint at 250 entries" in result.output
    assert "it was deleted" in result.output


def test_a_middle_checkpoint_deleted_is_named_too(runner, published, backend):
    _owner_deletes(backend, "audit_checkpoints", "tree_size = 100")
    result = _verify(runner)
    assert result.exit_code == 1 and "FAIL checkpoint 100:" in result.output, result.output


def test_deleted_with_its_note_the_cosignature_shows_it(runner, published, backend):
    _owner_deletes(backend, "audit_checkpoints", "tree_size = 250")
    db.session.execute(sa.text("DELETE FROM audit_checkpoint_notes WHERE tree_size = 250"))
    result = _verify(runner)
    assert result.exit_code == 1
    assert "FAIL checkpoint 250: witness witness.example/w cosigned a checkpoint" in result.output


def test_a_forged_note_signature_is_named(runner, published, backend):
    _owner_deletes(backend, "audit_checkpoint_notes", "tree_size = 200")
    db.session.execute(
        sa.text(
            "INSERT INTO audit_checkpoint_notes (tree_size, origin, signature, signed_at) "
            "VALUES (200, 'subsidy.test/log', :s, CURRENT_TIMESTAMP)"
        ),
        {"s": bytes(64)},
    )
    result = _verify(runner)
    assert result.exit_code == 1
    assert "FAIL checkpoint 200: its C2SP note signature" in result.output, result.output


def test_deleted_with_everything_and_the_tail_cut_the_witness_shows_the_rollback(
    runner, published, backend
):
    """The owner removes every trace of the checkpoint at 250 and the entries after 230; the
    log verifies locally, but the witness, which holds 250, names the rollback."""
    disable_log_guards(backend)
    cut_log(230)
    db.session.commit()
    assert log_size(db.session) == 230
    assert _verify(runner).exit_code == 0  # nothing local is left to tell
    result = publish(post=posting([published]))
    [outcome] = result.witnesses
    assert outcome.rollback and not result.ok
    assert "has cosigned a tree of 250 entries, larger than this log's 230" in outcome.error
