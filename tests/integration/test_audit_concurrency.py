import threading

import sqlalchemy as sa

from subsidy.audit import merkle
from subsidy.audit.models import AuditEntry
from subsidy.audit.queries import tree_head
from subsidy.audit.sequencer import run_sequencer
from subsidy.audit.services import append_entry
from subsidy.extensions import db

THREADS = 16
EACH = 100


def test_concurrent_appends_are_gap_free_and_the_root_matches_a_recompute(committed_app):
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def writer(number: int) -> None:
        try:
            with committed_app.app_context():
                start.wait()
                for step in range(EACH):
                    append_entry(
                        actor=f"thread:{number}", action="test_event", subject=f"t:{number}:{step}"
                    )
                    db.session.commit()
                    run_sequencer()  # as the app does after a request's commit
        except BaseException as error:  # reported below, so a thread cannot fail silently
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]

    with committed_app.app_context():
        # Nothing is left queued: whoever held the lock looked at the queue again after it.
        assert not db.session.execute(sa.text("SELECT count(*) FROM audit_queue")).scalar()
        rows = db.session.execute(
            sa.select(AuditEntry.entry_index, AuditEntry.canonical, AuditEntry.leaf_hash).order_by(
                AuditEntry.entry_index
            )
        ).all()
        assert [row.entry_index for row in rows] == list(range(THREADS * EACH))
        leaves = [merkle.leaf_hash(bytes(row.canonical)) for row in rows]
        assert leaves == [bytes(row.leaf_hash) for row in rows]
        head = tree_head()
        assert head["tree_size"] == THREADS * EACH
        assert head["root_hash"] == merkle.root_from_leaf_hashes(leaves).hex()
