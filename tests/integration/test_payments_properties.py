"""Payments as a state machine (hypothesis) against the services on the test database.

Steps: an application submitted and approved (random quantity), a bank account given or
removed, a tranche (within the budget, or above it: 409), a run prepared, released by another
treasurer or cancelled, a bank's status report with a random status per payment (ACSC, RJCT
with AC04 or AM05, PDNG, or not mentioned), and the same report applied again.

After every step the books must hold: no application paid twice, at most one live payment per
application, paid <= released <= budget and paid + scheduled <= released, the program's totals
equal to the sums of its payments, runs in queue order, every run balanced and
``reconcile_all() == []``. At every preparation the run must be exactly the queue as computed
here from the tables, independently of the service: approved applications without a live
payment in id order, those without a valid account (or with the account the bank returned)
skipped, taken while they fit in the money left, stopping at the first that does not.

The world (program, applicants with registry facts, users) is built once; each example runs
inside a savepoint of the test's transaction that is rolled back at its end, so examples do not
see each other. A refused step runs in a savepoint of its own, as a request would be rolled
back, and must leave everything as it was."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from subsidy.accounts.models import User
from subsidy.applicants.bank import InvalidBankAccount, bank_account, iban_sha256
from subsidy.applicants.models import Applicant
from subsidy.applications.models import Application, Status
from subsidy.audit.models import AuditEntry
from subsidy.decisions.services import approve_application
from subsidy.errors import Conflict, DomainError, Forbidden
from subsidy.extensions import db
from subsidy.payments import iso20022, queries, services
from subsidy.payments.models import (
    Payment,
    PaymentRun,
    PaymentSkip,
    PaymentStatus,
    RunStatus,
    Tranche,
)
from subsidy.programs.models import Program
from tests.factories import (
    give_account,
    make_applicant,
    make_program,
    make_user,
    registry,
    submit,
)

CODE = "TEST-HEADS-2026"
BUDGET = Decimal("100000.00")
RATE = Decimal("1000.00")
FARMS = 9
BASE_QUANTITIES = (4, 12, 7, 15)  # approved before the first step: 38,000 of the budget
HEADS = 20
CENT = Decimal("0.01")
ACCOUNT_REASONS = frozenset({"AC04"})  # of the reasons drawn here, the one about the account
STATUSES = st.sampled_from(
    [("ACSC", None), ("RJCT", "AC04"), ("RJCT", "AM05"), ("PDNG", None), None]
)

SETTINGS = settings(
    max_examples=40,
    stateful_step_count=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)


def log_size() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one()


def total(query) -> Decimal:
    return Decimal(db.session.execute(query).scalar_one() or 0).quantize(CENT)


def valid_account(applicant: Applicant):
    try:
        return bank_account(applicant.iban, applicant.bic)
    except InvalidBankAccount:
        return None


def snapshot() -> tuple:
    """What a refused step must leave as it was."""
    return (
        log_size(),
        tuple(db.session.execute(sa.select(Payment.id, Payment.status).order_by(Payment.id))),
        tuple(db.session.execute(sa.select(PaymentRun.id, PaymentRun.status))),
        tuple(
            db.session.execute(
                sa.select(Program.released_amount, Program.scheduled_amount, Program.paid_amount)
            )
        ),
        db.session.execute(sa.select(sa.func.count()).select_from(Tranche)).scalar_one(),
    )


class PaymentsMachine(RuleBasedStateMachine):
    world: dict = {}
    reports = itertools.count(1)

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = db.session.begin_nested()
        self.program_id: int = self.world["program_id"]
        self.official = db.session.get(User, self.world["official"])
        self.treasurers = [db.session.get(User, id_) for id_ in self.world["treasurers"]]
        self.free = list(self.world["free"])  # applicants that have not applied yet
        self.farms: list[int] = list(self.world["applied"])  # those that have, in order
        self.last_report: tuple[int, bytes] | None = None

    def teardown(self) -> None:
        self.savepoint.rollback()
        # A submission attaches its application as loaded (not as new), so the rollback would
        # leave it in the identity map; on SQLite the next example reuses its id.
        db.session.expunge_all()

    # --- helpers ---------------------------------------------------------------------------

    def program(self) -> Program:
        program = db.session.get(Program, self.program_id)
        db.session.refresh(program)
        return program

    def refused(self, error: type[DomainError], call) -> DomainError:
        """``call`` raises ``error`` and changes nothing."""
        before = snapshot()
        with pytest.raises(error) as caught, db.session.begin_nested():
            call()
        db.session.expire_all()
        assert snapshot() == before
        return caught.value

    def runs(self, status: RunStatus) -> list[PaymentRun]:
        return list(
            db.session.execute(
                sa.select(PaymentRun).where(PaymentRun.status == status).order_by(PaymentRun.id)
            ).scalars()
        )

    def expected_run(self) -> tuple[list[int], list[tuple[int, str]], int | None]:
        """(taken, skipped, waiting) as the contract says a run must take the queue, computed
        from the tables without the service's code."""
        paid = total(
            sa.select(sa.func.sum(Payment.amount)).where(Payment.status == PaymentStatus.PAID)
        )
        scheduled = total(
            sa.select(sa.func.sum(Payment.amount)).where(Payment.status == PaymentStatus.SCHEDULED)
        )
        released = total(sa.select(sa.func.sum(Tranche.amount)))
        left = released - paid - scheduled
        live = set(
            db.session.execute(
                sa.select(Payment.application_id).where(
                    Payment.status.in_([PaymentStatus.SCHEDULED, PaymentStatus.PAID])
                )
            ).scalars()
        )
        refused_accounts = set(
            db.session.execute(
                sa.select(Application.applicant_id, Payment.iban_sha256)
                .join(Application, Application.id == Payment.application_id)
                .where(
                    Payment.status == PaymentStatus.RETURNED,
                    Payment.return_reason.in_(ACCOUNT_REASONS),
                )
            ).all()
        )
        queue = db.session.execute(
            sa.select(Application)
            .where(Application.program_id == self.program_id, Application.status == Status.APPROVED)
            .order_by(Application.id)
        ).scalars()
        taken, skipped, waiting = [], [], None
        for application in queue:
            if application.id in live:
                continue
            account = valid_account(application.applicant)
            if account is None:
                skipped.append((application.id, "no_bank_account"))
                continue
            if (application.applicant_id, iban_sha256(account.iban)) in refused_accounts:
                skipped.append((application.id, "account_returned"))
                continue
            if application.approved_amount > left:
                waiting = application.id
                break
            taken.append(application.id)
            left -= application.approved_amount
        return taken, skipped, waiting

    # --- steps -----------------------------------------------------------------------------

    @initialize(share=st.integers(min_value=0, max_value=60))
    def first_tranche(self, share: int) -> None:
        if share:
            self.record_tranche(share, over=False)

    @precondition(lambda self: self.free)
    @rule(quantity=st.integers(min_value=1, max_value=HEADS))
    def submit_and_approve(self, quantity: int) -> None:
        applicant = db.session.get(Applicant, self.free.pop(0))
        self.farms.append(applicant.id)
        application = submit(applicant, CODE, quantity=str(quantity), user=self.official)
        assert application.status is Status.SUBMITTED, application.status
        approval = approve_application(application=application, user=self.official)
        assert approval.outcome.value in ("approved", "waitlisted")
        if approval.outcome.value == "approved":
            assert application.approved_amount == quantity * RATE

    @precondition(lambda self: self.farms)
    @rule(which=st.integers(min_value=0, max_value=FARMS - 1))
    def give_account(self, which: int) -> None:
        give_account(db.session.get(Applicant, self.farms[which % len(self.farms)]))

    @precondition(lambda self: self.farms)
    @rule(which=st.integers(min_value=0, max_value=FARMS - 1))
    def remove_account(self, which: int) -> None:
        applicant = db.session.get(Applicant, self.farms[which % len(self.farms)])
        applicant.iban = None
        applicant.bic = None
        db.session.flush()

    @rule(share=st.integers(min_value=1, max_value=100), over=st.booleans())
    def record_tranche(self, share: int, over: bool) -> None:
        program = self.program()
        left = program.budget_amount - program.released_amount
        treasurer = self.treasurers[0]
        if over or left < CENT:
            amount = left + CENT * share
            error = self.refused(
                Conflict,
                lambda: services.release_tranche(
                    program=program, amount=amount, released_on=date(2026, 6, 1), user=treasurer
                ),
            )
            assert "amount" in error.errors
            return
        amount = max(CENT, (left * share / 100).quantize(CENT))
        before = program.released_amount
        services.release_tranche(
            program=program, amount=amount, released_on=date(2026, 6, 1), user=treasurer
        )
        assert self.program().released_amount == before + amount

    @rule(who=st.integers(min_value=0, max_value=2))
    def prepare_run(self, who: int) -> None:
        taken, skipped, waiting = self.expected_run()
        treasurer = self.treasurers[who]
        program = self.program()
        if not taken:
            error = self.refused(
                services.NothingToPay,
                lambda: services.prepare_run(program=program, user=treasurer),
            )
            assert error.code == "nothing_to_pay"
            return
        preparation = services.prepare_run(program=program, user=treasurer)
        run = preparation.run
        assert [p.application_id for p in run.payments] == taken
        assert [(s["application"].id, s["reason"]) for s in preparation.skipped] == skipped
        got_waiting = preparation.waiting["application"].id if preparation.waiting else None
        assert got_waiting == waiting
        stored = db.session.execute(
            sa.select(PaymentSkip.application_id, PaymentSkip.reason)
            .where(PaymentSkip.run_id == run.id)
            .order_by(PaymentSkip.position)
        ).all()
        assert [tuple(row) for row in stored] == skipped
        # Nobody approved and unpaid with a valid account, earlier than the run's last item,
        # was left out.
        last = taken[-1]
        left_out = set(
            db.session.execute(
                sa.select(Application.id).where(
                    Application.program_id == self.program_id,
                    Application.status == Status.APPROVED,
                    Application.id < last,
                    Application.payment_status.is_distinct_from(PaymentStatus.SCHEDULED.value),
                )
            ).scalars()
        )
        assert left_out <= {application_id for application_id, _ in skipped}
        assert run.total_amount == sum((p.amount for p in run.payments), Decimal(0))
        assert run.item_count == len(taken)

    @precondition(lambda self: self.runs(RunStatus.PREPARED))
    @rule(which=st.integers(min_value=0, max_value=10), by=st.integers(min_value=0, max_value=2))
    def release_run(self, which: int, by: int) -> None:
        prepared = self.runs(RunStatus.PREPARED)
        if not prepared:
            return
        run = prepared[which % len(prepared)]
        treasurers = self.treasurers
        preparer = next(t for t in treasurers if t.id == run.prepared_by_id)
        self.refused(Forbidden, lambda: services.release_run(run_id=run.id, user=preparer))
        self.refused(Forbidden, lambda: services.release_run(run_id=run.id, user=self.official))
        others = [t for t in treasurers if t.id != run.prepared_by_id]
        releaser = others[by % len(others)]
        changed = []
        for payment in run.payments:
            applicant = db.session.get(Application, payment.application_id).applicant
            account = applicant.iban
            if account is None or iban_sha256(account) != payment.iban_sha256:
                changed.append(payment.end_to_end_id)
        if changed:
            error = self.refused(
                Conflict, lambda: services.release_run(run_id=run.id, user=releaser)
            )
            assert "bank_account" in error.errors
            return
        services.release_run(run_id=run.id, user=releaser)
        assert run.status is RunStatus.RELEASED
        data, sha256 = queries.run_document(run.id)
        assert f"<NbOfTxs>{run.item_count}</NbOfTxs>".encode() in data
        assert f"<CtrlSum>{run.total_amount:.2f}</CtrlSum>".encode() in data
        assert len(sha256) == 64

    @rule(who=st.integers(min_value=0, max_value=2), by=st.integers(min_value=0, max_value=1))
    def prepare_and_release(self, who: int, by: int) -> None:
        """The usual day: a run prepared, then released by another treasurer."""
        before = len(self.runs(RunStatus.PREPARED))
        self.prepare_run(who)
        prepared = self.runs(RunStatus.PREPARED)
        if len(prepared) > before:
            self.release_run(len(prepared) - 1, by)

    @precondition(lambda self: self.runs(RunStatus.PREPARED))
    @rule(which=st.integers(min_value=0, max_value=10))
    def cancel_run(self, which: int) -> None:
        prepared = self.runs(RunStatus.PREPARED)
        if not prepared:
            return
        run = prepared[which % len(prepared)]
        scheduled = self.program().scheduled_amount
        services.cancel_run(run_id=run.id, user=self.treasurers[2])
        assert run.status is RunStatus.CANCELLED
        assert self.program().scheduled_amount == scheduled - run.total_amount
        assert {p.status for p in run.payments} == {PaymentStatus.CANCELLED}

    @precondition(lambda self: self.runs(RunStatus.RELEASED))
    @rule(which=st.integers(min_value=0, max_value=10), data=st.data())
    def apply_report(self, which: int, data) -> None:
        released = self.runs(RunStatus.RELEASED)
        if not released:
            return
        run = released[which % len(released)]
        statuses = {}
        for payment in run.payments:
            drawn = data.draw(STATUSES, label=payment.end_to_end_id)
            if drawn is not None:
                statuses[payment.end_to_end_id] = drawn
        report = iso20022.render_pain002(
            iso20022.StatusReport(
                message_id=f"BANK-{next(self.reports)}",
                created_at=datetime(2026, 6, 16, 10, 0, tzinfo=UTC),
                original_message_id=f"RUN-{run.id}",
                group_status=None,
                transactions=tuple(
                    iso20022.TransactionStatus(number, status, reason, None)
                    for number, (status, reason) in statuses.items()
                ),
            )
        )
        current = {p.end_to_end_id: p.status for p in run.payments}
        contradicts = any(
            (current[number] is PaymentStatus.PAID and status == "RJCT")
            or (current[number] is PaymentStatus.RETURNED and status == "ACSC")
            for number, (status, _) in statuses.items()
        )
        if contradicts:
            self.refused(
                Conflict,
                lambda: services.apply_status_report(run_id=run.id, data=report, actor="bank"),
            )
            return
        paid = sum(
            1
            for number, (status, _) in statuses.items()
            if status == "ACSC" and current[number] is PaymentStatus.SCHEDULED
        )
        returned = sum(
            1
            for number, (status, _) in statuses.items()
            if status == "RJCT" and current[number] is PaymentStatus.SCHEDULED
        )
        program = self.program()
        before_paid = program.paid_amount
        outcome = services.apply_status_report(run_id=run.id, data=report, actor="bank")
        assert outcome.applied
        assert (outcome.paid, outcome.returned) == (paid, returned)
        expected_pending = sum(1 for s in current.values() if s is PaymentStatus.SCHEDULED)
        assert outcome.pending == expected_pending - paid - returned
        newly_paid = sum(
            (
                p.amount
                for p in run.payments
                if p.end_to_end_id in statuses
                and statuses[p.end_to_end_id][0] == "ACSC"
                and current[p.end_to_end_id] is PaymentStatus.SCHEDULED
            ),
            Decimal(0),
        )
        assert self.program().paid_amount == before_paid + newly_paid
        for payment in run.payments:
            application = db.session.get(Application, payment.application_id)
            if payment.status is PaymentStatus.PAID:
                assert application.status is Status.PAID
                assert application.paid_on == date(2026, 6, 16)
            elif payment.status is PaymentStatus.RETURNED:
                # Back in the queue (maybe already in a later run: its mirror shows that one).
                assert application.status is Status.APPROVED
        self.last_report = (run.id, report)

    @precondition(lambda self: self.runs(RunStatus.RELEASED))
    @rule(data=st.data(), who=st.integers(min_value=0, max_value=2))
    def the_bank_answers_and_the_next_run_follows(self, data, who: int) -> None:
        """The usual cycle: the latest run's report, then the next run prepared and released
        (the returned ones back in the queue, an account the bank refused skipped)."""
        self.apply_report(len(self.runs(RunStatus.RELEASED)) - 1, data)
        self.prepare_and_release(who, 0)

    @precondition(lambda self: self.last_report is not None)
    @rule()
    def apply_the_same_report_again(self) -> None:
        run_id, report = self.last_report
        before = snapshot()
        outcome = services.apply_status_report(run_id=run_id, data=report, actor="bank")
        assert not outcome.applied
        assert (outcome.paid, outcome.returned) == (0, 0)
        db.session.expire_all()
        assert snapshot() == before

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def no_application_is_paid_twice_nor_live_twice(self) -> None:
        for statuses in (
            [PaymentStatus.PAID],
            [PaymentStatus.SCHEDULED, PaymentStatus.PAID],
        ):
            twice = db.session.execute(
                sa.select(Payment.application_id)
                .where(Payment.status.in_(statuses))
                .group_by(Payment.application_id)
                .having(sa.func.count() > 1)
            ).all()
            assert twice == [], statuses

    @invariant()
    def the_programs_money_adds_up(self) -> None:
        program = self.program()
        assert program.paid_amount <= program.released_amount <= program.budget_amount
        assert program.paid_amount + program.scheduled_amount <= program.released_amount
        assert program.paid_amount <= program.committed_amount
        paid = total(
            sa.select(sa.func.sum(Payment.amount)).where(Payment.status == PaymentStatus.PAID)
        )
        scheduled = total(
            sa.select(sa.func.sum(Payment.amount)).where(Payment.status == PaymentStatus.SCHEDULED)
        )
        assert program.paid_amount == paid
        assert program.scheduled_amount == scheduled
        assert program.released_amount == total(sa.select(sa.func.sum(Tranche.amount)))

    @invariant()
    def runs_are_in_queue_order_and_balanced(self) -> None:
        for run in db.session.execute(sa.select(PaymentRun)).scalars():
            ids = [p.application_id for p in run.payments]
            assert ids == sorted(ids) and len(set(ids)) == len(ids)
            assert [p.position for p in run.payments] == list(range(1, len(ids) + 1))
            assert queries.reconciliation(run.id)["balanced"], run.id
        assert queries.reconcile_all() == []

    @invariant()
    def applications_show_their_latest_payment(self) -> None:
        rows = db.session.execute(
            sa.select(Application).where(Application.program_id == self.program_id)
        ).scalars()
        for application in rows:
            payments = [
                p
                for p in db.session.execute(
                    sa.select(Payment)
                    .where(
                        Payment.application_id == application.id,
                        Payment.status != PaymentStatus.CANCELLED,
                    )
                    .order_by(Payment.id)
                ).scalars()
            ]
            latest = payments[-1] if payments else None
            assert application.payment_status == (latest.status.value if latest else None)
            assert (application.status is Status.PAID) == (
                latest is not None and latest.status is PaymentStatus.PAID
            )


def test_payments_keep_the_books(app):
    program = make_program(budget=str(BUDGET), threshold="50000.00")
    farms = [make_applicant() for _ in range(FARMS)]
    registry(livestock=[(farm.iin_bin, "cattle", HEADS, HEADS) for farm in farms])
    for farm in farms:
        give_account(farm)
    official = make_user("official")
    # A queue to begin with (approvals render their decision PDFs: once, not per example).
    applied = farms[: len(BASE_QUANTITIES)]
    for farm, quantity in zip(applied, BASE_QUANTITIES, strict=True):
        application = submit(farm, CODE, quantity=str(quantity), user=official)
        approve_application(application=application, user=official)
        assert application.status is Status.APPROVED
    PaymentsMachine.world = {
        "program_id": program.id,
        "applied": [farm.id for farm in applied],
        "free": [farm.id for farm in farms[len(applied) :]],
        "official": official.id,
        "treasurers": [make_user("treasurer").id for _ in range(3)],
    }
    db.session.flush()
    db.session.expunge_all()
    run_state_machine_as_test(PaymentsMachine, settings=SETTINGS)
