"""Writes of the money side: tranches, payment runs (prepare, release, cancel) and the bank's
status reports. Each function changes state and appends its log entries in the caller's
transaction; nothing here commits.

Lock order, as every writer: the log lock, then the program's row, then applications. Under the
program's row lock a run reads the queue and the money left, so two treasurers preparing at the
same moment are served one after the other; the partial unique index on live payments and the
CHECK constraints on the program's totals refuse what a mistake here would still let through.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from subsidy.access import Role
from subsidy.accounts.models import User
from subsidy.applicants.bank import InvalidBankAccount, bank_account, iban_sha256
from subsidy.applicants.models import Applicant
from subsidy.applications.flags import store_flags
from subsidy.applications.models import Application
from subsidy.applications.states import Status, move
from subsidy.audit.actions import Action
from subsidy.audit.services import Entry, append_entries, append_entry, lock_log
from subsidy.clock import KAZAKHSTAN, today
from subsidy.db import utcnow
from subsidy.decisions.queries import latest_document_numbers
from subsidy.errors import Conflict, Forbidden, NotFound, ValidationFailed
from subsidy.extensions import db
from subsidy.payments import iso20022
from subsidy.payments.models import (
    Payment,
    PaymentRun,
    PaymentSkip,
    PaymentStatus,
    PaymentStatusReport,
    RunStatus,
    Tranche,
)
from subsidy.payments.versions import require_seen
from subsidy.preconditions import IfMatch
from subsidy.programs.models import Program

# Returns that say the account itself is wrong: the same account is not tried again until the
# applicant gives another one (ISO 20022 ExternalStatusReason1Code).
ACCOUNT_REASONS = frozenset({"AC01", "AC03", "AC04", "AC06", "AC13", "BE01", "MD07", "RR03"})
REFERENCE_MAX = 120
# SQLite binds at most 32,766 values in one statement; lists of ids are sent in chunks.
_CHUNK = 5000


class NothingToPay(Conflict):
    code = "nothing_to_pay"


def _require_treasurer(user: User) -> None:
    if user.role is not Role.TREASURER:
        raise Forbidden("only treasurers move money")


def _lock_program(program_id: int) -> Program:
    lock_log(db.session)
    return db.session.execute(
        sa.select(Program)
        .where(Program.id == program_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one()


def _money(amount: Decimal, name: str = "amount") -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise ValidationFailed.field(name, "must be greater than 0")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationFailed.field(name, "must have at most 2 decimal places")
    return amount


# --- tranches ----------------------------------------------------------------------------------


def release_tranche(
    *,
    program: Program,
    amount: Decimal,
    released_on: date,
    user: User,
    reference: str | None = None,
) -> Tranche:
    """Record money the treasury released for the program: never above its budget (409)."""
    _require_treasurer(user)
    amount = _money(amount)
    reference = (reference or "").strip() or None
    if reference is not None and len(reference) > REFERENCE_MAX:
        raise ValidationFailed.field("reference", f"must be at most {REFERENCE_MAX} characters")
    if released_on > today():
        raise ValidationFailed.field("released_on", "must not be in the future")
    program = _lock_program(program.id)
    if program.released_amount + amount > program.budget_amount:
        left = program.budget_amount - program.released_amount
        raise Conflict(
            f"released in all would exceed the program's budget: at most {left:.2f} more",
            {"amount": [f"at most {left:.2f}"]},
        )
    program.released_amount = program.released_amount + amount
    tranche = Tranche(
        program_id=program.id,
        amount=amount,
        released_on=released_on,
        reference=reference,
        created_by_id=user.id,
    )
    db.session.add(tranche)
    db.session.flush()
    append_entry(
        actor=user.actor,
        action=Action.TRANCHE_RELEASED,
        subject=f"program:{program.code}",
        data={
            "tranche": tranche.id,
            "amount": f"{amount:.2f}",
            "released_on": released_on.isoformat(),
            "program_released": f"{program.released_amount:.2f}",
        },
    )
    return tranche


# --- preparing a run ---------------------------------------------------------------------------


@dataclass
class Preparation:
    """What a run took and passed over, and the first application the money did not reach."""

    run: PaymentRun
    skipped: list[dict] = field(default_factory=list)
    waiting: dict | None = None
    available: Decimal = Decimal("0")


def _queue(program_id: int) -> Iterator[Application]:
    """The program's approved applications not paid nor in a live run, in queue order (the order
    of submission)."""
    query = (
        sa.select(Application)
        .where(
            Application.program_id == program_id,
            Application.status == Status.APPROVED,
            sa.or_(
                Application.payment_status.is_(None),
                Application.payment_status != PaymentStatus.SCHEDULED.value,
            ),
        )
        .order_by(Application.id)
        .execution_options(yield_per=1000)
    )
    yield from db.session.execute(query).scalars()


def _skip_reason(applicant: Applicant, returned: dict[int, str]) -> str | None:
    """Why this applicant cannot be paid now, or None."""
    try:
        account = bank_account(applicant.iban, applicant.bic)
    except InvalidBankAccount:
        return "no_bank_account"
    if returned.get(applicant.id) == iban_sha256(account.iban):
        return "account_returned"
    return None


def _returned_accounts(program_id: int) -> dict[int, str]:
    """Applicant -> the IBAN hash of an account the bank refused for this program's payments."""
    rows = db.session.execute(
        sa.select(Application.applicant_id, Payment.iban_sha256)
        .join(Application, Application.id == Payment.application_id)
        .where(
            Application.program_id == program_id,
            Payment.status == PaymentStatus.RETURNED,
            Payment.return_reason.in_(sorted(ACCOUNT_REASONS)),
        )
        .order_by(Payment.id)
    )
    return dict(rows.all())


def prepare_run(*, program: Program, user: User) -> Preparation:
    """Take the program's queue in order while the amounts fit in the money released and not yet
    paid or scheduled; an applicant without a valid bank account is skipped and keeps its place.
    The first application that does not fit stops the run: nobody is paid past it."""
    _require_treasurer(user)
    program = _lock_program(program.id)
    available = program.released_amount - program.paid_amount - program.scheduled_amount
    returned = _returned_accounts(program.id)
    day = today()
    taken: list[tuple[Application, Decimal]] = []
    skipped: list[dict] = []
    waiting = None
    left = available
    for application in _queue(program.id):
        reason = _skip_reason(application.applicant, returned)
        if reason is not None:
            skipped.append({"application": application, "reason": reason})
            continue
        amount = application.approved_amount
        if amount is None or amount > left:
            waiting = {"application": application, "amount": amount}
            break
        taken.append((application, amount))
        left -= amount
    if not taken:
        raise NothingToPay(
            f"no application fits in the money available ({available:.2f})"
            + (f"; {len(skipped)} skipped for their bank accounts" if skipped else ""),
            {"released": [f"available {available:.2f}"]},
        )
    total = sum((amount for _, amount in taken), Decimal("0"))
    run = PaymentRun(
        program_id=program.id,
        status=RunStatus.PREPARED,
        total_amount=total,
        item_count=len(taken),
        execution_date=day,
        prepared_by_id=user.id,
        prepared_at=utcnow(),
    )
    db.session.add(run)
    db.session.flush()
    numbers = _decision_numbers([application.id for application, _ in taken])
    payments, entries = [], []
    for position, (application, amount) in enumerate(taken, start=1):
        account = bank_account(application.applicant.iban, application.applicant.bic)
        payment = Payment(
            run_id=run.id,
            position=position,
            application_id=application.id,
            end_to_end_id=application.number,
            amount=amount,
            creditor_name=application.applicant.name[:140],
            creditor_iban=account.iban,
            creditor_bic=account.bic,
            iban_sha256=iban_sha256(account.iban),
            remittance=_remittance(program.code, numbers.get(application.id), application),
            status=PaymentStatus.SCHEDULED,
        )
        payments.append(payment)
        _mirror(application, payment)
        flags = store_flags(application)
        entries.append(
            Entry(
                user.actor,
                Action.PAYMENT_SCHEDULED,
                f"application:{application.id}",
                {
                    "run": run.id,
                    "position": position,
                    "amount": f"{amount:.2f}",
                    "iban_sha256": payment.iban_sha256,
                    "flags": [flag.code for flag in flags],
                },
            )
        )
    for position, skip in enumerate(skipped, start=1):
        db.session.add(
            PaymentSkip(
                run_id=run.id,
                application_id=skip["application"].id,
                position=position,
                reason=skip["reason"],
            )
        )
        entries.append(
            Entry(
                user.actor,
                Action.PAYMENT_SKIPPED,
                f"application:{skip['application'].id}",
                {"run": run.id, "reason": skip["reason"]},
            )
        )
    db.session.add_all(payments)
    program.scheduled_amount = program.scheduled_amount + total
    db.session.flush()
    append_entries(
        [
            Entry(
                user.actor,
                Action.PAYMENT_RUN_PREPARED,
                f"payment_run:{run.id}",
                {
                    "program": program.code,
                    "items": len(taken),
                    "total": f"{total:.2f}",
                    "skipped": len(skipped),
                    "available": f"{available:.2f}",
                    # Queue order, provably: the run's applications in the order they were taken.
                    "first": taken[0][0].id,
                    "last": taken[-1][0].id,
                    "waiting": None if waiting is None else waiting["application"].id,
                },
            ),
            *entries,
        ]
    )
    return Preparation(run, skipped, waiting, available)


def _decision_numbers(application_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(application_ids), _CHUNK):
        found.update(latest_document_numbers(application_ids[start : start + _CHUNK]))
    return found


def _remittance(program_code: str, decision: str | None, application: Application) -> str:
    """What the farmer's bank statement says: the decision and the program (Russian, as the
    treasury's payment orders are)."""
    text = f"Субсидия по программе {program_code}, заявка {application.number}"
    if decision:
        text += f", решение № {decision}"
    return text[:140]


def _mirror(application: Application, payment: Payment | None) -> None:
    """The application's copy of its latest payment (None: none is live or settled)."""
    if payment is None or payment.status is PaymentStatus.CANCELLED:
        application.payment_status = None
        application.payment_run_id = None
        application.payment_amount = None
        application.payment_reason = None
        return
    application.payment_status = payment.status.value
    application.payment_run_id = payment.run_id
    application.payment_amount = payment.amount
    application.payment_reason = payment.return_reason


# --- releasing and cancelling ------------------------------------------------------------------


def _lock_run(run_id: int) -> PaymentRun:
    run = db.session.get(PaymentRun, run_id)
    if run is None:
        raise NotFound(f"no payment run {run_id}")
    _lock_program(run.program_id)
    return db.session.execute(
        sa.select(PaymentRun)
        .where(PaymentRun.id == run_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def payer() -> iso20022.Party:
    config = current_app.config
    return iso20022.Party(
        name=config["PAYER_NAME"],
        bin=config["PAYER_BIN"],
        iban=config["PAYER_IBAN"],
        bic=config["PAYER_BIC"],
    )


def release_run(*, run_id: int, user: User, if_match: IfMatch | None = None) -> PaymentRun:
    """A second treasurer releases a prepared run: its pain.001 document is rendered once, from
    the accounts the run was prepared with, stored, and its SHA-256 logged. ``if_match``: the
    version of the run the treasurer saw (412 if it changed), checked with its row locked."""
    _require_treasurer(user)
    run = _lock_run(run_id)
    require_seen(run, if_match)
    if run.prepared_by_id == user.id:
        raise Forbidden("a run is released by a treasurer other than the one who prepared it")
    if run.status is not RunStatus.PREPARED:
        raise Conflict(f"the run is {run.status.value}", {"status": [f"is {run.status.value}"]})
    _require_accounts_unchanged(run)
    now = utcnow()
    document = _render(run, now)
    run.status = RunStatus.RELEASED
    run.released_by_id = user.id
    run.released_at = now
    run.execution_date = max(run.execution_date, today())
    run.document = document
    run.document_sha256 = hashlib.sha256(document).hexdigest()
    db.session.flush()
    append_entry(
        actor=user.actor,
        action=Action.PAYMENT_RUN_RELEASED,
        subject=f"payment_run:{run.id}",
        data={
            "sha256": run.document_sha256,
            "format": "pain.001.001.09",
            "items": run.item_count,
            "total": f"{run.total_amount:.2f}",
            "prepared_by": run.prepared_by_id,
        },
    )
    return run


def _render(run: PaymentRun, now) -> bytes:
    """The run's pain.001.001.09 document; a payment the format cannot carry (a name the schema
    refuses, say) stops the release with the field named, before anything is written."""
    try:
        return iso20022.render_pain001(
            iso20022.CreditTransfer(
                message_id=f"RUN-{run.id}",
                created_at=now,
                execution_date=max(run.execution_date, today()),
                debtor=payer(),
                transfers=tuple(
                    iso20022.Transfer(
                        end_to_end_id=payment.end_to_end_id,
                        amount=payment.amount,
                        creditor_name=payment.creditor_name,
                        creditor_iban=payment.creditor_iban,
                        creditor_bic=payment.creditor_bic,
                        remittance=payment.remittance,
                    )
                    for payment in run.payments
                ),
            )
        )
    except iso20022.Iso20022Error as error:
        raise Conflict(
            f"the run's document cannot be written: {error.field}: {error.message}",
            {error.field: [error.message]},
        ) from None


def _require_accounts_unchanged(run: PaymentRun) -> None:
    """The releasing treasurer approves what was prepared: an account changed since then is a
    reason to prepare again, not to pay the old account or an unseen new one."""
    applicants = dict(
        db.session.execute(
            sa.select(Payment.id, Applicant.iban)
            .join(Application, Application.id == Payment.application_id)
            .join(Applicant, Applicant.id == Application.applicant_id)
            .where(Payment.run_id == run.id)
        ).all()
    )
    for payment in run.payments:
        current = applicants.get(payment.id)
        if current is None or iban_sha256(current) != payment.iban_sha256:
            raise Conflict(
                f"the bank account of application {payment.end_to_end_id} changed since the "
                "run was prepared: cancel the run and prepare it again",
                {"bank_account": [f"{payment.end_to_end_id} changed"]},
            )


def cancel_run(*, run_id: int, user: User, if_match: IfMatch | None = None) -> PaymentRun:
    """Withdraw a prepared run: its applications go back to the queue in their places;
    ``if_match`` as for a release."""
    _require_treasurer(user)
    run = _lock_run(run_id)
    require_seen(run, if_match)
    if run.status is not RunStatus.PREPARED:
        raise Conflict(
            f"only a prepared run can be cancelled; this one is {run.status.value}",
            {"status": [f"is {run.status.value}"]},
        )
    program = db.session.get(Program, run.program_id)
    assert program is not None
    run.status = RunStatus.CANCELLED
    run.cancelled_by_id = user.id
    run.cancelled_at = utcnow()
    ids = [payment.application_id for payment in run.payments]
    for payment in run.payments:
        payment.status = PaymentStatus.CANCELLED
    db.session.flush()
    previous = _latest_payments(ids)
    for application in _applications(ids):
        _mirror(application, previous.get(application.id))
    program.scheduled_amount = program.scheduled_amount - run.total_amount
    db.session.flush()
    append_entry(
        actor=user.actor,
        action=Action.PAYMENT_RUN_CANCELLED,
        subject=f"payment_run:{run.id}",
        data={"items": run.item_count, "total": f"{run.total_amount:.2f}"},
    )
    return run


def _applications(ids: list[int]) -> list[Application]:
    found: list[Application] = []
    for start in range(0, len(ids), _CHUNK):
        found += db.session.execute(
            sa.select(Application).where(Application.id.in_(ids[start : start + _CHUNK]))
        ).scalars()
    return found


def _latest_payments(application_ids: list[int]) -> dict[int, Payment]:
    """Each application's newest payment that was not cancelled (what its mirror shows)."""
    found: dict[int, Payment] = {}
    for start in range(0, len(application_ids), _CHUNK):
        rows = db.session.execute(
            sa.select(Payment)
            .where(
                Payment.application_id.in_(application_ids[start : start + _CHUNK]),
                Payment.status != PaymentStatus.CANCELLED,
            )
            .order_by(Payment.id)
        ).scalars()
        found.update({payment.application_id: payment for payment in rows})
    return found


# --- the bank's status report ------------------------------------------------------------------


@dataclass(frozen=True)
class ReportOutcome:
    run: PaymentRun
    applied: bool  # False: this very report was applied before; nothing changed
    paid: int = 0
    returned: int = 0
    pending: int = 0
    report_id: int | None = None


def apply_status_report(*, run_id: int, data: bytes, actor: str) -> ReportOutcome:
    """Apply a bank's pain.002.001.10 report to a released run. ACSC/ACCC: paid (on the date of
    AccptncDtTm, else of the report); RJCT: returned with its reason, the application back in
    the queue in its place. The same report twice changes nothing; an end-to-end id not in the
    run, or a status that contradicts an earlier one, refuses the whole report."""
    try:
        report = iso20022.parse_pain002(data)
    except iso20022.Iso20022Error as error:
        raise ValidationFailed.field(error.field, error.message) from None
    run = _lock_run(run_id)
    if run.status is not RunStatus.RELEASED:
        raise Conflict(
            f"status reports apply to released runs; this one is {run.status.value}",
            {"status": [f"is {run.status.value}"]},
        )
    expected = f"RUN-{run.id}"
    if report.original_message_id is not None and report.original_message_id != expected:
        raise ValidationFailed.field(
            "OrgnlMsgId", f"is {report.original_message_id!r}, not this run's {expected!r}"
        )
    digest = hashlib.sha256(data).hexdigest()
    seen = db.session.execute(
        sa.select(PaymentStatusReport.id).where(
            PaymentStatusReport.run_id == run.id, PaymentStatusReport.sha256 == digest
        )
    ).scalar_one_or_none()
    if seen is not None:
        return ReportOutcome(run, applied=False, report_id=seen)
    by_id = {payment.end_to_end_id: payment for payment in run.payments}
    changes = _plan_changes(report, by_id)
    program = db.session.get(Program, run.program_id)
    assert program is not None
    row = PaymentStatusReport(
        run_id=run.id,
        sha256=digest,
        message_id=report.message_id[:35],
        created_at=report.created_at,
        received_by=actor,
        paid_count=sum(1 for _, status, _ in changes if status is PaymentStatus.PAID),
        returned_count=sum(1 for _, status, _ in changes if status is PaymentStatus.RETURNED),
        document=data,
    )
    db.session.add(row)
    db.session.flush()
    now = utcnow()
    entries = []
    applications = {a.id: a for a in _applications([p.application_id for p, _, _ in changes])}
    for payment, status, value in changes:
        application = applications[payment.application_id]
        payment.status = status
        payment.settled_at = now
        payment.report_id = row.id
        program.scheduled_amount = program.scheduled_amount - payment.amount
        logged = {"run": run.id, "amount": f"{payment.amount:.2f}", "report": row.id}
        if status is PaymentStatus.PAID:
            payment.paid_on = value
            program.paid_amount = program.paid_amount + payment.amount
            move(application, Status.PAID)
            application.paid_on = value
            entry = Entry(
                actor,
                Action.PAYMENT_PAID,
                f"application:{application.id}",
                {**logged, "paid_on": value.isoformat()},
            )
        else:
            payment.return_reason = value
            entry = Entry(
                actor,
                Action.PAYMENT_RETURNED,
                f"application:{application.id}",
                {**logged, "reason": value},
            )
        _mirror(application, payment)
        entries.append(entry)
    db.session.flush()
    pending = sum(1 for payment in run.payments if payment.status is PaymentStatus.SCHEDULED)
    append_entries(
        [
            Entry(
                actor,
                Action.PAYMENT_STATUS_REPORT,
                f"payment_run:{run.id}",
                {
                    "report": row.id,
                    "sha256": digest,
                    "paid": row.paid_count,
                    "returned": row.returned_count,
                    "pending": pending,
                },
            ),
            *entries,
        ]
    )
    return ReportOutcome(run, True, row.paid_count, row.returned_count, pending, row.id)


def _plan_changes(
    report: iso20022.StatusReport, by_id: dict[str, Payment]
) -> list[tuple[Payment, PaymentStatus, object]]:
    """Every change the report makes, checked before any is made: (payment, new status, paid
    date or return reason)."""
    changes: list[tuple[Payment, PaymentStatus, object]] = []
    planned: set[str] = set()
    for n, transaction in enumerate(report.transactions, start=1):
        payment = by_id.get(transaction.end_to_end_id)
        where = f"TxInfAndSts[{n}]/OrgnlEndToEndId"
        if payment is None:
            raise ValidationFailed.field(
                where, f"{transaction.end_to_end_id!r} is not a payment of this run"
            )
        if transaction.status in iso20022.PAID_STATUSES:
            target = PaymentStatus.PAID
            when = transaction.accepted_at or report.created_at
            value: object = when.astimezone(KAZAKHSTAN).date() if when.tzinfo else when.date()
        elif transaction.status in iso20022.RETURNED_STATUSES:
            target = PaymentStatus.RETURNED
            value = (transaction.reason or "NARR")[:35]
        else:
            continue  # pending, accepted for processing...: nothing is settled yet
        if payment.status is target or transaction.end_to_end_id in planned:
            continue  # already known: a report applied again, or a repeated line
        if payment.status is not PaymentStatus.SCHEDULED:
            raise Conflict(
                f"{transaction.end_to_end_id} is already {payment.status.value}; "
                f"the report says {transaction.status}",
                {where: [f"is already {payment.status.value}"]},
            )
        planned.add(transaction.end_to_end_id)
        changes.append((payment, target, value))
    return changes
