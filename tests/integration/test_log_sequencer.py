"""The log's queue and its sequencer: entries are written with their change and given their
indices after it commits, in batches; each program's queue numbers come from its own counter.

The rush test runs 16 threads × 100 submissions across 3 programs (two of one funding group) on
a database of its own, each thread running the sequencer after each of its commits as the app
does after a request: the indices are gap-free, each program's queue numbers are gap-free and in
the log's order, the root is the one a full recompute gives, and nothing is left queued."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from subsidy.accounts.models import User
from subsidy.applications.models import Application
from subsidy.audit import merkle
from subsidy.audit.models import AuditEntry, AuditQueued
from subsidy.audit.queries import tree_head
from subsidy.audit.sequencer import entry_position, run_sequencer
from subsidy.audit.services import append_entry, lock_log
from subsidy.audit.verification import verify_log
from subsidy.extensions import db
from tests.conftest import database_of_its_own, make_app, migrate
from tests.factories import make_applicant, make_program, make_user, submit

THREADS = 16
EACH = 100
PROGRAMS = ("RUSH-A-2026", "RUSH-B-2026", "RUSH-C-2026")
CRITERIA = [{"rule": "no_tax_arrears"}]


def _programs() -> None:
    make_program(PROGRAMS[0], criteria=CRITERIA, budget="100000000.00", funding_group="rush")
    make_program(PROGRAMS[1], criteria=CRITERIA, budget="100000000.00", funding_group="rush")
    make_program(PROGRAMS[2], criteria=CRITERIA, budget="100000000.00")


@pytest.fixture
def rush_app(backend, tmp_path):
    """A database of its own with real commits and a connection for every thread."""
    with database_of_its_own(backend, tmp_path) as url:
        options = {} if backend == "sqlite" else {"pool_size": THREADS + 2, "max_overflow": 0}
        app = make_app(url, tmp_path, SQLALCHEMY_ENGINE_OPTIONS=options)
        if backend == "sqlite":
            with app.app_context():
                # One writer at a time, sixteen waiting: SQLite's busy handler is not fair, and
                # on a busy machine a thread can wait longer than the service's 30 s.
                sa.event.listen(db.engine, "connect", _patient)
        migrate(app)
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def _patient(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA busy_timeout=300000")


def _queued_count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(AuditQueued)).scalar_one()


def test_a_submission_is_queued_with_its_change_and_integrated_after(app):
    _programs()
    farm = make_applicant("peasant_farm")
    official = make_user("official")
    db.session.commit()  # these writers held the log lock: their entries are in the tree
    application = submit(farm, PROGRAMS[2], quantity="3", user=official)
    queued = db.session.execute(
        sa.select(AuditQueued.id, AuditQueued.action).where(
            AuditQueued.subject == f"application:{application.id}"
        )
    ).all()
    assert [row.action for row in queued] == ["application_submitted", "application_evaluated"]
    assert entry_position(db.session, queued[0].id) == (True, None)
    size = tree_head()["tree_size"]

    db.session.commit()
    batches = run_sequencer()

    assert sum(batch.entries for batch in batches) >= 2
    assert _queued_count() == 0
    known, index = entry_position(db.session, queued[0].id)
    assert known and index is not None and index >= size
    entry = json.loads(
        db.session.execute(
            sa.select(AuditEntry.canonical).where(AuditEntry.entry_index == index)
        ).scalar_one()
    )
    assert entry["index"] == index
    assert entry["data"]["queue_number"] == application.queue_number == 1
    ok, line, _ = verify_log()
    assert ok, line


def test_a_writer_holding_the_log_lock_appends_after_what_was_queued(app):
    first = append_entry(actor="test", action="test_event", subject="t:queued")
    assert first["index"] is None and first["id"] is not None
    db.session.commit()
    lock_log(db.session)
    second = append_entry(actor="test", action="test_event", subject="t:locked")
    known, index = entry_position(db.session, first["id"])
    assert known and index is not None
    assert second["index"] == index + 1  # known at once, after the queued one
    assert _queued_count() == 0


def test_a_queued_entry_is_never_changed_nor_deleted_before_it_is_in_the_log(app):
    entry = append_entry(actor="test", action="test_event", subject="t:guarded")
    for statement in (
        f"UPDATE audit_queue SET actor = 'someone' WHERE id = {entry['id']}",
        f"DELETE FROM audit_queue WHERE id = {entry['id']}",
    ):
        savepoint = db.session.begin_nested()
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(sa.text(statement))
        savepoint.rollback()
    assert entry_position(db.session, entry["id"]) == (True, None)


def test_verify_fails_on_a_queued_entry_whose_change_is_missing(app):
    db.session.execute(
        sa.insert(AuditQueued.__table__).values(
            timestamp="2026-06-15T10:00:00.000000+00:00",
            actor="user:1",
            action="application_submitted",
            subject="application:987654",
            data="{}",
        )
    )
    ok, line, _ = verify_log()
    assert not ok
    assert line.startswith("FAIL queued entry ") and "application:987654" in line, line


def test_verify_fails_on_an_application_whose_submission_was_never_logged(app, monkeypatch):
    import subsidy.applications.services as submission

    _programs()
    farm = make_applicant("peasant_farm")
    official = make_user("official")
    ok, line, _ = verify_log()
    assert ok, line
    monkeypatch.setattr(submission, "append_entries", lambda items: [])
    application = submit(farm, PROGRAMS[2], quantity="3", user=official)
    ok, line, _ = verify_log()
    assert not ok
    assert line == (
        f"FAIL application {application.id} ({application.number}): its submission is neither "
        "in the log nor in its queue"
    )


def test_queue_numbers_follow_each_program_and_a_rolled_back_submission_gives_its_back(app):
    _programs()
    farms = [make_applicant("peasant_farm") for _ in range(3)]
    official = make_user("official")
    db.session.commit()
    assert submit(farms[0], PROGRAMS[0], quantity="1", user=official).queue_number == 1
    assert submit(farms[1], PROGRAMS[2], quantity="1", user=official).queue_number == 1
    db.session.commit()
    submit(farms[2], PROGRAMS[0], quantity="1", user=official)
    db.session.rollback()
    assert submit(farms[2], PROGRAMS[0], quantity="1", user=official).queue_number == 2


def test_the_rush_leaves_gap_free_indices_and_queue_numbers_in_the_log_order(rush_app):
    with rush_app.app_context():
        _programs()
        official_id = make_user("official").id
        farms = [make_applicant("peasant_farm").iin_bin for _ in range(THREADS)]
        db.session.commit()
        run_sequencer()
        before = tree_head()["tree_size"]

    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def farmer(number: int) -> None:
        try:
            start.wait()  # before any transaction: on SQLite the first holds the database
            with rush_app.app_context():
                user = db.session.get(User, official_id)
                for step in range(EACH):
                    program = PROGRAMS[(number + step) % len(PROGRAMS)]
                    submit(
                        SimpleNamespace(iin_bin=farms[number]),
                        program,
                        quantity=Decimal(1 + step),
                        user=user,
                    )
                    db.session.commit()
                    run_sequencer()  # as the app does after a request's commit
        except BaseException as error:  # reported below, so a thread cannot fail silently
            errors.append(error)

    threads = [threading.Thread(target=farmer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]

    with rush_app.app_context():
        # No pass after the last commit: whoever held the lock looked at the queue again.
        assert _queued_count() == 0
        rows = db.session.execute(
            sa.select(
                AuditEntry.entry_index,
                AuditEntry.action,
                AuditEntry.canonical,
                AuditEntry.leaf_hash,
            ).order_by(AuditEntry.entry_index)
        ).all()
        assert [row.entry_index for row in rows] == list(range(len(rows)))
        assert len(rows) == before + 2 * THREADS * EACH
        leaves = [merkle.leaf_hash(bytes(row.canonical)) for row in rows]
        assert leaves == [bytes(row.leaf_hash) for row in rows]
        assert tree_head()["root_hash"] == merkle.root_from_leaf_hashes(leaves).hex()

        in_log_order = defaultdict(list)
        for row in rows:
            if row.action == "application_submitted":
                data = json.loads(bytes(row.canonical))["data"]
                in_log_order[data["program"]].append(data["queue_number"])
        stored = defaultdict(list)
        for program_id, number in db.session.execute(
            sa.select(Application.program_id, Application.queue_number).order_by(Application.id)
        ):
            stored[program_id].append(number)
        assert sum(len(numbers) for numbers in in_log_order.values()) == THREADS * EACH
        for code in PROGRAMS:
            numbers = in_log_order[code]
            assert numbers == list(range(1, len(numbers) + 1)), code
        for numbers in stored.values():  # the counter's order is the order of insertion
            assert numbers == list(range(1, len(numbers) + 1))
        ok, line, _ = verify_log()
        assert ok, line
