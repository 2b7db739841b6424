"""Submissions evaluate before taking their funding group's lock; under it they look again at
what changed.

The race tests run many submissions at once; the interleaving tests commit another write exactly
between a submission's evaluation and its taking of the group's lock (PostgreSQL only: a SQLite
transaction holds the database's write lock from its first statement, so nothing can commit in
between there)."""

import threading
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

import subsidy.applications.services as submission
from subsidy.accounts.models import User
from subsidy.applications.models import Application, Status
from subsidy.audit.models import AuditEntry
from subsidy.audit.sequencer import run_sequencer
from subsidy.audit.services import lock_log
from subsidy.audit.verification import verify_log
from subsidy.errors import ValidationFailed
from subsidy.extensions import db
from tests.factories import make_applicant, make_program, make_user, registry, submit

THREADS = 12


def submit_as(iin: str, user_id: int, quantity: str = "10") -> Application:
    """Submit in the current session: ids, not objects, cross between sessions and threads."""
    return submit(
        SimpleNamespace(iin_bin=iin), quantity=quantity, user=db.session.get(User, user_id)
    )


def _setup(heads: int = 20) -> tuple[str, int]:
    make_program()
    return _setup_applicant(heads)


def _setup_applicant(heads: int = 20) -> tuple[str, int]:
    farm = make_applicant("peasant_farm")
    registry(livestock=[(farm.iin_bin, "cattle", heads, heads)])
    official = make_user("official")
    db.session.commit()
    return farm.iin_bin, official.id


def _in_thread(app, work) -> None:
    """Run ``work`` in another thread with its own app context and session, and commit it."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                work()
                db.session.commit()
        except BaseException as error:  # reported to the test below
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the other write did not finish"
    assert not failures, failures


def test_concurrent_submissions_of_one_applicant_admit_exactly_one(committed_app):
    with committed_app.app_context():
        iin, official_id = _setup()

    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def apply() -> None:
        try:
            start.wait()
            with committed_app.app_context():
                submit_as(iin, official_id)
                db.session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=apply) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]

    with committed_app.app_context():
        rows = db.session.execute(sa.select(Application).order_by(Application.id)).scalars().all()
        assert len(rows) == THREADS
        assert [row.status for row in rows] == [Status.SUBMITTED] + [Status.INELIGIBLE] * (
            THREADS - 1
        )
        for row in rows[1:]:
            assert rows[0].number in row.evaluation  # names the application that came first
        run_sequencer()
        indices = db.session.execute(sa.select(AuditEntry.entry_index)).scalars().all()
        assert sorted(indices) == list(range(len(indices)))
        ok, line, _ = verify_log()
        assert ok, line


@pytest.fixture
def between_evaluation_and_lock(committed_app, monkeypatch, backend):
    """Arrange for ``work`` to be committed by another session right before the next submission
    takes its funding group's lock (after it has evaluated)."""
    if backend != "postgresql":
        pytest.skip("on SQLite a writing transaction holds the write lock from its first statement")
    pending = []
    real_lock = submission.lock_funding_group

    def lock_funding_group(group) -> None:
        while pending:
            _in_thread(committed_app, pending.pop())
        real_lock(group)

    monkeypatch.setattr(submission, "lock_funding_group", lock_funding_group)
    return pending.append


def _count_calls(monkeypatch, module, name) -> list:
    """Calls of ``module.name`` made by this thread (not by the other write's)."""
    calls = []
    real = getattr(module, name)
    mine = threading.get_ident()

    def counted(*args, **kwargs):
        if threading.get_ident() == mine:
            calls.append(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_another_application_committed_meanwhile_is_seen(
    committed_app, between_evaluation_and_lock, monkeypatch
):
    with committed_app.app_context():
        iin, official_id = _setup()
        between_evaluation_and_lock(lambda: submit_as(iin, official_id))
        gathered = _count_calls(monkeypatch, submission, "gather_facts")
        evaluated = _count_calls(monkeypatch, submission, "evaluate")
        late = submit_as(iin, official_id)
        db.session.commit()

        first = db.session.execute(
            sa.select(Application).where(Application.id != late.id)
        ).scalar_one()
        assert first.status is Status.SUBMITTED
        assert late.status is Status.INELIGIBLE
        assert first.number in late.evaluation
        assert first.id < late.id
        # Only the other applications were read again; the registry was not.
        assert (len(gathered), len(evaluated)) == (1, 2)


def test_a_registry_import_committed_meanwhile_is_used(
    committed_app, between_evaluation_and_lock, monkeypatch
):
    with committed_app.app_context():
        iin, official_id = _setup()
        # The new extract says the farm has 3 heads: below the program's minimum of 5.
        between_evaluation_and_lock(lambda: registry(livestock=[(iin, "cattle", 3, 3)]))
        gathered = _count_calls(monkeypatch, submission, "gather_facts")
        application = submit_as(iin, official_id, quantity="3")
        db.session.commit()

        assert application.status is Status.INELIGIBLE
        assert "min_livestock_heads" in application.evaluation
        newest = db.session.execute(
            sa.text("SELECT max(id) FROM registry_snapshots WHERE kind = 'livestock'")
        ).scalar_one()
        assert f'"livestock":{newest}' in application.evaluation
        assert len(gathered) == 2  # evaluated again from the start, under the lock


def test_with_nothing_committed_meanwhile_the_evaluation_is_not_repeated(
    committed_app, between_evaluation_and_lock, monkeypatch
):
    with committed_app.app_context():
        iin, official_id = _setup()
        gathered = _count_calls(monkeypatch, submission, "gather_facts")
        evaluated = _count_calls(monkeypatch, submission, "evaluate")
        application = submit_as(iin, official_id)
        db.session.commit()
        assert application.status is Status.SUBMITTED
        assert (len(gathered), len(evaluated)) == (1, 1)


def test_midnight_between_evaluation_and_lock_evaluates_again(committed_app, monkeypatch):
    """Evaluated on the window's last day, locked on the next: the window has closed."""
    with committed_app.app_context():
        make_program(closes="2026-06-15")
        iin, official_id = _setup_applicant()
        real_lock = submission.lock_funding_group

        def lock_after_midnight(group) -> None:
            committed_app.config["TODAY"] = "2026-06-16"
            real_lock(group)

        monkeypatch.setattr(submission, "lock_funding_group", lock_after_midnight)
        monkeypatch.setitem(committed_app.config, "TODAY", "2026-06-15")
        with pytest.raises(ValidationFailed) as refused:
            submit_as(iin, official_id)
        assert "program" in refused.value.errors
        db.session.rollback()
        assert db.session.execute(sa.select(sa.func.count()).select_from(Application)).scalar() == 0


def test_the_log_lock_is_taken_again_after_a_rolled_back_savepoint(committed_app, backend):
    if backend != "postgresql":
        pytest.skip("the advisory lock exists only on PostgreSQL")
    held = sa.text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    )
    with committed_app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        savepoint = db.session.begin_nested()
        lock_log(db.session)
        assert db.session.execute(held).scalar() == 1
        savepoint.rollback()  # PostgreSQL releases a lock taken inside the savepoint
        assert db.session.execute(held).scalar() == 0
        lock_log(db.session)
        assert db.session.execute(held).scalar() == 1
        db.session.rollback()
