"""A registry import reads and stores its rows before it takes the log lock, so a large extract
does not stop every other writer of the service; imports of one kind still go one at a time."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from subsidy.extensions import db
from subsidy.registry.models import RegistrySnapshot
from subsidy.registry.services import import_extract
from tests.factories import make_applicant


def _rows(count: int, when_halfway):
    farm = "880101300018"
    for n in range(count):
        if n == count // 2:
            when_halfway()
        yield {"iin_bin": farm, "species": "cattle", "heads": n + 1, "identified_heads": n + 1}


def test_another_writer_commits_while_an_import_stores_its_rows(committed_app, backend):
    if backend != "postgresql":
        pytest.skip("on SQLite a writing transaction holds the database from its first statement")
    finished: list[str] = []

    def another_writer() -> None:
        def work() -> None:
            with committed_app.app_context():
                make_applicant("peasant_farm")
                db.session.commit()
                finished.append("committed")

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(timeout=20)
        assert not thread.is_alive(), "the other writer waited for the import's log lock"

    with committed_app.app_context():
        import_extract(
            kind="livestock",
            rows=_rows(20, another_writer),
            source_name="big.csv",
            source_sha256="0" * 64,
            as_of=date(2026, 6, 1),
            actor="test",
            allow_shrink=True,
        )
        db.session.commit()
        assert finished == ["committed"]
        count = db.session.execute(
            sa.select(sa.func.count()).select_from(RegistrySnapshot)
        ).scalar_one()
        assert count == 1


def test_an_import_in_a_transaction_that_holds_the_log_lock_does_not_wait_for_its_kind(
    committed_app, backend
):
    """The demo seed writes (log lock) and then imports: asking for the kind's lock after the
    log lock would invert the order an import takes them in, and could deadlock."""
    if backend != "postgresql":
        pytest.skip("the locks are PostgreSQL advisory locks")
    from subsidy.audit.services import holds_log_lock

    with committed_app.app_context():
        make_applicant("peasant_farm")  # takes the log lock
        assert holds_log_lock(db.session)
        kind_locks_before = db.session.execute(
            sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
        ).scalar_one()
        import_extract(
            kind="livestock",
            rows=_rows(4, lambda: None),
            source_name="seed.csv",
            source_sha256="0" * 64,
            as_of=date(2026, 6, 1),
            actor="test",
            allow_shrink=True,
        )
        kind_locks_after = db.session.execute(
            sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
        ).scalar_one()
        assert kind_locks_after == kind_locks_before  # no kind lock taken after the log lock
        db.session.commit()
