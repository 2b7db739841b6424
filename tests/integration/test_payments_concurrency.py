"""Payment runs under concurrency, on PostgreSQL (on SQLite one writer holds the whole database,
so nothing here could interleave): eight treasurers preparing runs of one program at the same
moment never schedule an application twice nor more than the money released, and two
deliveries of one bank report at the same moment pay each payment once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from subsidy.accounts.services import issue_token
from subsidy.audit.models import AuditEntry
from subsidy.audit.verification import verify_log
from subsidy.extensions import db
from subsidy.payments import iso20022, services
from subsidy.payments.models import Payment, PaymentRun, PaymentStatus
from subsidy.programs.models import Program
from tests.factories import (
    approved,
    give_account,
    make_applicant,
    make_program,
    make_user,
    registry,
    tranche,
)

pytestmark = pytest.mark.postgres_only

APPLICATIONS = 40
COVERED = 20  # the money released pays the first 20 in the queue
TREASURERS = 8
QUANTITIES = [5 + (n * 7) % 11 for n in range(APPLICATIONS)]  # 5..15 heads: 5,000-15,000 KZT


@pytest.fixture
def postgres_app(request, backend):
    """``committed_app`` on PostgreSQL (skipped before building one on SQLite)."""
    if backend != "postgresql":
        pytest.skip("on SQLite a writing transaction holds the database from its first statement")
    return request.getfixturevalue("committed_app")


def world(app) -> tuple[list[int], Decimal]:
    """The approved applications' ids in queue order, and the money released."""
    with app.app_context():
        program = make_program(budget="1000000.00", threshold="50000.00")
        farms = [make_applicant() for _ in range(APPLICATIONS)]
        registry(livestock=[(farm.iin_bin, "cattle", 20, 20) for farm in farms])
        for farm in farms:
            give_account(farm)
        official = make_user("official")
        applications = [
            approved(farm, quantity=str(q), official=official)
            for farm, q in zip(farms, QUANTITIES, strict=True)
        ]
        released = sum((a.approved_amount for a in applications[:COVERED]), Decimal(0))
        tranche(program, f"{released:.2f}")
        ids = [a.id for a in applications]
        db.session.commit()
        return ids, released


def together(count: int, call) -> list:
    """``call(n)`` on ``count`` threads released at one moment; their results in thread order."""
    start = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            results[n] = call(n)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    return results


def test_eight_treasurers_preparing_at_once_never_schedule_twice(postgres_app):
    app = postgres_app
    ids, released = world(app)
    with app.app_context():
        tokens = [issue_token(user=make_user("treasurer"))[0] for _ in range(TREASURERS)]
        db.session.commit()
    client = app.test_client()

    def prepare(n: int):
        with app.app_context():
            response = client.post(
                "/api/v1/payment-runs",
                json={"program": "TEST-HEADS-2026"},
                headers={"Authorization": f"Bearer {tokens[n]}"},
            )
            return response.status_code, response.get_json()

    results = together(TREASURERS, prepare)
    statuses = [status for status, _ in results]
    assert set(statuses) <= {201, 409}, results
    for status, body in results:
        if status == 409:
            assert body["code"] == "nothing_to_pay", body
    runs = [body for status, body in results if status == 201]
    assert runs, results
    taken = [item["application"] for run in runs for item in run["items"]]
    # Queue order across the runs, in the order they were prepared: the first COVERED.
    assert sorted(taken) == ids[:COVERED]
    assert len(taken) == len(set(taken))

    with app.app_context():
        twice = db.session.execute(
            sa.select(Payment.application_id)
            .where(Payment.status.in_([PaymentStatus.SCHEDULED, PaymentStatus.PAID]))
            .group_by(Payment.application_id)
            .having(sa.func.count() > 1)
        ).all()
        assert twice == []
        program = db.session.execute(sa.select(Program)).scalar_one()
        scheduled = db.session.execute(
            sa.select(sa.func.coalesce(sa.func.sum(Payment.amount), 0)).where(
                Payment.status == PaymentStatus.SCHEDULED
            )
        ).scalar_one()
        assert program.scheduled_amount == Decimal(scheduled) == released
        assert program.scheduled_amount + program.paid_amount <= program.released_amount
        assert db.session.execute(sa.select(sa.func.count(PaymentRun.id))).scalar_one() == len(runs)
        prepared = db.session.execute(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "payment_run_prepared")
        ).scalar_one()
        assert prepared == len(runs)
        ok, line, _ = verify_log()
        assert ok, line


def test_the_same_report_delivered_twice_at_once_pays_once(postgres_app):
    app = postgres_app
    _, released = world(app)
    with app.app_context():
        first, second = make_user("treasurer"), make_user("treasurer")
        program = db.session.execute(sa.select(Program)).scalar_one()
        run = services.prepare_run(program=program, user=first).run
        services.release_run(run_id=run.id, user=second)
        run_id = run.id
        numbers = [payment.end_to_end_id for payment in run.payments]
        tokens = [issue_token(user=user)[0] for user in (first, second)]
        db.session.commit()
    report = iso20022.render_pain002(
        iso20022.StatusReport(
            message_id="BANK-STS-1",
            created_at=datetime(2026, 6, 16, 10, 0, tzinfo=UTC),
            original_message_id=f"RUN-{run_id}",
            group_status="ACSC",
            transactions=tuple(
                iso20022.TransactionStatus(number, "ACSC", None, None) for number in numbers
            ),
        )
    )
    client = app.test_client()

    def deliver(n: int):
        with app.app_context():
            response = client.post(
                f"/api/v1/payment-runs/{run_id}/status",
                data=report,
                content_type="application/xml",
                headers={"Authorization": f"Bearer {tokens[n]}"},
            )
            return response.status_code, response.get_json()

    results = together(2, deliver)
    assert [status for status, _ in results] == [200, 200], results
    assert sorted(body["applied"] for _, body in results) == [False, True]
    applied = next(body for _, body in results if body["applied"])
    assert applied["paid"] == COVERED
    assert all(body["run"]["reconciliation"]["balanced"] for _, body in results)

    with app.app_context():
        program = db.session.execute(sa.select(Program)).scalar_one()
        assert program.paid_amount == released
        assert program.scheduled_amount == 0
        paid = db.session.execute(
            sa.select(sa.func.count())
            .select_from(Payment)
            .where(Payment.status == PaymentStatus.PAID)
        ).scalar_one()
        assert paid == COVERED
        for action, count in (("payment_status_report", 1), ("payment_paid", COVERED)):
            logged = db.session.execute(
                sa.select(sa.func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == action)
            ).scalar_one()
            assert logged == count, action
        ok, line, _ = verify_log()
        assert ok, line
