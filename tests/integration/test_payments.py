"""Payment runs against the database: queue order, skipped accounts, four eyes, the bank's
reports, reconciliation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from subsidy.applications.models import Status
from subsidy.audit.models import AuditEntry
from subsidy.errors import Conflict, Forbidden, ValidationFailed
from subsidy.extensions import db
from subsidy.payments import iso20022, queries, services
from subsidy.payments.models import Payment, PaymentStatus, RunStatus
from tests.factories import (
    approved,
    give_account,
    make_applicant,
    make_program,
    make_user,
    registry,
    tranche,
)


@pytest.fixture
def farms(app):
    """A program of 100,000 with five approved applications of 10,000 each, in queue order."""
    program = make_program(budget="100000.00", threshold="50000.00")
    farms = [make_applicant() for _ in range(5)]
    registry(livestock=[(farm.iin_bin, "cattle", 20, 20) for farm in farms])
    for farm in farms:
        give_account(farm)
    applications = [approved(farm) for farm in farms]
    return program, farms, applications


def report(run, statuses, created=datetime(2026, 6, 20, 10, 0, tzinfo=UTC)):
    """A bank's pain.002 for ``run``: ``statuses`` maps application numbers to (TxSts, reason)."""
    return iso20022.render_pain002(
        iso20022.StatusReport(
            message_id=f"BANK-{run.id}-{len(statuses)}",
            created_at=created,
            original_message_id=f"RUN-{run.id}",
            group_status=None,
            transactions=tuple(
                iso20022.TransactionStatus(number, status, reason, None)
                for number, (status, reason) in statuses.items()
            ),
        )
    )


def test_a_run_takes_the_queue_in_order_within_the_released_money(farms):
    program, _, applications = farms
    tranche(program, "25000.00")
    preparation = services.prepare_run(program=program, user=make_user("treasurer"))
    run = preparation.run
    assert [p.application_id for p in run.payments] == [a.id for a in applications[:2]]
    assert run.total_amount == Decimal("20000.00")
    assert preparation.waiting["application"].id == applications[2].id
    assert program.scheduled_amount == Decimal("20000.00")
    assert applications[0].payment_status == "scheduled"


def test_an_applicant_without_an_account_is_skipped_and_keeps_its_place(farms):
    program, farms_, applications = farms
    first = applications[0]
    first.applicant.iban = None  # as if it never gave one
    db.session.flush()
    tranche(program, "30000.00")
    preparation = services.prepare_run(program=program, user=make_user("treasurer"))
    assert [s["application"].id for s in preparation.skipped] == [first.id]
    assert preparation.skipped[0]["reason"] == "no_bank_account"
    assert [p.application_id for p in preparation.run.payments] == [a.id for a in applications[1:4]]
    # It gives an account: the next run pays it first.
    give_account(farms_[0])
    tranche(program, "10000.00")
    second = services.prepare_run(program=program, user=make_user("treasurer"))
    assert [p.application_id for p in second.run.payments] == [first.id]


def test_nothing_to_pay_is_refused_and_writes_nothing(farms):
    program, _, _ = farms
    treasurer = make_user("treasurer")
    before = db.session.execute(sa.select(sa.func.count(AuditEntry.entry_index))).scalar_one()
    with pytest.raises(Conflict) as refused:
        services.prepare_run(program=program, user=treasurer)
    assert refused.value.code == "nothing_to_pay"
    after = db.session.execute(sa.select(sa.func.count(AuditEntry.entry_index))).scalar_one()
    assert before == after


def test_tranches_never_exceed_the_budget(farms):
    program, _, _ = farms
    tranche(program, "90000.00")
    with pytest.raises(Conflict):
        tranche(program, "10000.01")
    tranche(program, "10000.00")
    assert program.released_amount == program.budget_amount


def test_only_treasurers_move_money(farms):
    program, _, _ = farms
    with pytest.raises(Forbidden):
        tranche(program, "100.00", treasurer=make_user("official"))


def test_release_needs_a_second_treasurer_and_renders_the_document_once(farms):
    program, _, applications = farms
    tranche(program, "50000.00")
    first, second = make_user("treasurer"), make_user("treasurer")
    run = services.prepare_run(program=program, user=first).run
    with pytest.raises(Forbidden):
        services.release_run(run_id=run.id, user=first)
    services.release_run(run_id=run.id, user=second)
    assert run.status is RunStatus.RELEASED
    data, sha256 = queries.run_document(run.id)
    assert data == run.document and len(sha256) == 64
    with pytest.raises(Conflict):
        services.release_run(run_id=run.id, user=second)
    assert queries.run_document(run.id) == (data, sha256)
    text = data.decode()
    assert f"<MsgId>RUN-{run.id}</MsgId>" in text
    for application in applications:
        assert f"<EndToEndId>{application.number}</EndToEndId>" in text


def test_an_account_changed_after_preparation_stops_the_release(farms):
    program, farms_, _ = farms
    tranche(program, "50000.00")
    run = services.prepare_run(program=program, user=make_user("treasurer")).run
    give_account(farms_[3])
    with pytest.raises(Conflict) as refused:
        services.release_run(run_id=run.id, user=make_user("treasurer"))
    assert "bank_account" in refused.value.errors


def _released(program, amount="50000.00"):
    tranche(program, amount)
    run = services.prepare_run(program=program, user=make_user("treasurer")).run
    return services.release_run(run_id=run.id, user=make_user("treasurer"))


def test_a_status_report_pays_and_returns_and_reconciles(farms):
    program, _, applications = farms
    run = _released(program)
    numbers = [a.number for a in applications]
    data = report(
        run, {numbers[0]: ("ACSC", None), numbers[1]: ("RJCT", "AC04"), numbers[2]: ("PDNG", None)}
    )
    outcome = services.apply_status_report(run_id=run.id, data=data, actor="test")
    assert (outcome.applied, outcome.paid, outcome.returned, outcome.pending) == (True, 1, 1, 3)
    assert applications[0].status is Status.PAID
    assert applications[0].paid_on.isoformat() == "2026-06-20"
    assert applications[1].status is Status.APPROVED
    assert applications[1].payment_status == "returned"
    assert applications[1].payment_reason == "AC04"
    assert program.paid_amount == Decimal("10000.00")
    assert program.scheduled_amount == Decimal("30000.00")
    check = queries.reconciliation(run.id)
    assert check["balanced"]
    assert check["sent"]["amount"] == Decimal("50000.00")
    assert check["paid"]["amount"] + check["returned"]["amount"] + check["pending"]["amount"] == (
        Decimal("50000.00")
    )
    assert queries.reconcile_all() == []


def test_the_same_report_twice_changes_nothing(farms):
    program, _, applications = farms
    run = _released(program)
    data = report(run, {applications[0].number: ("ACSC", None)})
    services.apply_status_report(run_id=run.id, data=data, actor="test")
    size = db.session.execute(sa.select(sa.func.count(AuditEntry.entry_index))).scalar_one()
    again = services.apply_status_report(run_id=run.id, data=data, actor="test")
    assert not again.applied
    assert db.session.execute(sa.select(sa.func.count(AuditEntry.entry_index))).scalar_one() == size
    # Another report saying the same: nothing settles twice.
    other = report(
        run, {applications[0].number: ("ACCC", None), applications[1].number: ("PDNG", None)}
    )
    outcome = services.apply_status_report(run_id=run.id, data=other, actor="test")
    assert outcome.paid == 0
    assert program.paid_amount == Decimal("10000.00")


def test_an_unknown_end_to_end_id_refuses_the_whole_report(farms):
    program, _, applications = farms
    run = _released(program)
    data = report(run, {applications[0].number: ("ACSC", None), "NOT-IN-RUN-1": ("ACSC", None)})
    with pytest.raises(ValidationFailed) as refused:
        services.apply_status_report(run_id=run.id, data=data, actor="test")
    assert "TxInfAndSts[2]/OrgnlEndToEndId" in refused.value.errors
    assert applications[0].payment_status == "scheduled"


def test_a_paid_payment_cannot_be_returned_afterwards(farms):
    program, _, applications = farms
    run = _released(program)
    number = applications[0].number
    services.apply_status_report(
        run_id=run.id, data=report(run, {number: ("ACSC", None)}), actor="t"
    )
    with pytest.raises(Conflict):
        services.apply_status_report(
            run_id=run.id, data=report(run, {number: ("RJCT", "AC04")}), actor="t"
        )


def test_a_returned_payment_goes_back_to_the_queue_in_its_place(farms):
    program, _, applications = farms
    run = _released(program, "30000.00")
    first = applications[0]
    services.apply_status_report(
        run_id=run.id, data=report(run, {first.number: ("RJCT", "AM05")}), actor="t"
    )
    tranche(program, "10000.00")
    again = services.prepare_run(program=program, user=make_user("treasurer")).run
    assert again.payments[0].application_id == first.id


def test_an_account_returned_as_wrong_is_not_tried_again_until_changed(farms):
    program, _, applications = farms
    run = _released(program, "10000.00")
    first = applications[0]
    services.apply_status_report(
        run_id=run.id, data=report(run, {first.number: ("RJCT", "AC04")}), actor="t"
    )
    tranche(program, "10000.00")
    preparation = services.prepare_run(program=program, user=make_user("treasurer"))
    assert preparation.skipped[0]["reason"] == "account_returned"
    # The returned 10,000 is free again, with the new tranche: the next two in the queue.
    assert [p.application_id for p in preparation.run.payments] == [
        applications[1].id,
        applications[2].id,
    ]


def test_cancelling_a_prepared_run_puts_its_applications_back(farms):
    program, _, applications = farms
    tranche(program, "20000.00")
    run = services.prepare_run(program=program, user=make_user("treasurer")).run
    services.cancel_run(run_id=run.id, user=make_user("treasurer"))
    assert program.scheduled_amount == 0
    assert applications[0].payment_status is None
    again = services.prepare_run(program=program, user=make_user("treasurer")).run
    assert [p.application_id for p in again.payments] == [a.id for a in applications[:2]]


def test_the_database_refuses_a_second_live_payment_of_one_application(farms):
    program, _, _ = farms
    tranche(program, "20000.00")
    run = services.prepare_run(program=program, user=make_user("treasurer")).run
    payment = run.payments[0]
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(
            Payment(
                run_id=run.id,
                position=99,
                application_id=payment.application_id,
                end_to_end_id="X-1",
                amount=payment.amount,
                creditor_name="x",
                creditor_iban=payment.creditor_iban,
                creditor_bic=payment.creditor_bic,
                iban_sha256=payment.iban_sha256,
                remittance="x",
                status=PaymentStatus.SCHEDULED,
            )
        )
        db.session.flush()


def test_every_step_is_logged_without_an_iban(farms):
    program, farms_, applications = farms
    run = _released(program)
    services.apply_status_report(
        run_id=run.id, data=report(run, {applications[0].number: ("ACSC", None)}), actor="t"
    )
    entries = db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.canonical).where(
            AuditEntry.action.in_(
                [
                    "tranche_released",
                    "payment_run_prepared",
                    "payment_scheduled",
                    "payment_run_released",
                    "payment_status_report",
                    "payment_paid",
                ]
            )
        )
    ).all()
    assert {action for action, _ in entries} == {
        "tranche_released",
        "payment_run_prepared",
        "payment_scheduled",
        "payment_run_released",
        "payment_status_report",
        "payment_paid",
    }
    ibans = [farm.iban for farm in farms_]
    for _, canonical in entries:
        assert not any(iban in bytes(canonical).decode() for iban in ibans)
