"""Reads of the money side: a program's money, runs and their payments, reconciliation."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from subsidy.applications.models import Application
from subsidy.errors import NotFound
from subsidy.extensions import db
from subsidy.payments.models import (
    Payment,
    PaymentRun,
    PaymentSkip,
    PaymentStatus,
    PaymentStatusReport,
    RunStatus,
    Tranche,
)
from subsidy.programs.models import Program

ZERO = Decimal("0.00")


def money_view(program: Program) -> dict:
    """Budget, what approvals committed, what the treasury released, what live runs scheduled,
    what the bank paid, and what is left of the budget and of the released money."""
    return {
        "budget": program.budget_amount,
        "committed": program.committed_amount,
        "released": program.released_amount,
        "scheduled": program.scheduled_amount,
        "paid": program.paid_amount,
        "remaining": program.remaining_amount,
        "available": program.released_amount - program.scheduled_amount - program.paid_amount,
        # Approved and not yet paid: what the program owes its farmers.
        "arrears": program.committed_amount - program.paid_amount,
    }


def get_run(run_id: int) -> PaymentRun:
    run = db.session.get(PaymentRun, run_id)
    if run is None:
        raise NotFound(f"no payment run {run_id}")
    return run


def run_document(run_id: int) -> tuple[bytes, str]:
    """The stored pain.001 bytes and their SHA-256; 404 before the run is released."""
    run = get_run(run_id)
    if run.status is not RunStatus.RELEASED or run.document is None:
        raise NotFound(f"payment run {run_id} is {run.status.value}: it has no document yet")
    return run.document, run.document_sha256 or ""


def payment_view(payment: Payment) -> dict:
    return {
        "application": payment.application_id,
        "number": payment.end_to_end_id,
        "position": payment.position,
        "amount": payment.amount,
        "status": payment.status.value,
        "paid_on": payment.paid_on,
        "reason": payment.return_reason,
        "creditor": payment.creditor_name,
        "iban": mask(payment.creditor_iban),
        "bic": payment.creditor_bic,
    }


def mask(iban: str) -> str:
    return f"{iban[:4]}…{iban[-4:]}"


def run_summary(run: PaymentRun, program_code: str | None = None) -> dict:
    return {
        "id": run.id,
        "program": program_code or _program_code(run.program_id),
        "status": run.status.value,
        "total_amount": run.total_amount,
        "item_count": run.item_count,
        "execution_date": run.execution_date,
        "prepared_by_id": run.prepared_by_id,
        "prepared_at": run.prepared_at,
        "released_by_id": run.released_by_id,
        "released_at": run.released_at,
        "cancelled_at": run.cancelled_at,
        "sha256": run.document_sha256,
        "reconciliation": reconciliation(run.id),
    }


def run_view(run: PaymentRun) -> dict:
    view = run_summary(run)
    view["items"] = [payment_view(payment) for payment in run.payments]
    skipped = db.session.execute(
        sa.select(PaymentSkip.application_id, PaymentSkip.reason, Application.number)
        .join(Application, Application.id == PaymentSkip.application_id)
        .where(PaymentSkip.run_id == run.id)
        .order_by(PaymentSkip.position)
    ).all()
    view["skipped"] = [
        {"application": app_id, "number": number, "reason": reason}
        for app_id, reason, number in skipped
    ]
    view["reports"] = [
        {
            "id": report.id,
            "sha256": report.sha256,
            "message_id": report.message_id,
            "created_at": report.created_at,
            "received_at": report.received_at,
            "paid": report.paid_count,
            "returned": report.returned_count,
        }
        for report in db.session.execute(
            sa.select(PaymentStatusReport)
            .where(PaymentStatusReport.run_id == run.id)
            .order_by(PaymentStatusReport.id)
        ).scalars()
    ]
    return view


def _program_code(program_id: int) -> str:
    return db.session.execute(sa.select(Program.code).where(Program.id == program_id)).scalar_one()


def list_runs(*, program: Program | None = None, limit: int = 100) -> list[dict]:
    query = sa.select(PaymentRun, Program.code).join(Program, Program.id == PaymentRun.program_id)
    if program is not None:
        query = query.where(PaymentRun.program_id == program.id)
    rows = db.session.execute(query.order_by(PaymentRun.id.desc()).limit(limit)).all()
    return [run_summary(run, code) for run, code in rows]


def list_tranches(program: Program | None = None) -> list[dict]:
    query = sa.select(Tranche, Program.code).join(Program, Program.id == Tranche.program_id)
    if program is not None:
        query = query.where(Tranche.program_id == program.id)
    rows = db.session.execute(query.order_by(Tranche.id.desc())).all()
    return [
        {
            "id": tranche.id,
            "program": code,
            "amount": tranche.amount,
            "released_on": tranche.released_on,
            "reference": tranche.reference,
            "created_by_id": tranche.created_by_id,
            "created_at": tranche.created_at,
        }
        for tranche, code in rows
    ]


def reconciliation(run_id: int) -> dict:
    """For a run: sent = paid + returned + pending, to the tiyn (amounts and counts)."""
    rows = db.session.execute(
        sa.select(Payment.status, sa.func.count(), sa.func.coalesce(sa.func.sum(Payment.amount), 0))
        .where(Payment.run_id == run_id)
        .group_by(Payment.status)
    ).all()
    by_status = {status: (count, Decimal(total)) for status, count, total in rows}
    run = get_run(run_id)

    def part(status: PaymentStatus) -> dict:
        count, total = by_status.get(status, (0, ZERO))
        return {"count": count, "amount": Decimal(total).quantize(Decimal("0.01"))}

    paid, returned = part(PaymentStatus.PAID), part(PaymentStatus.RETURNED)
    pending = part(PaymentStatus.SCHEDULED)
    sent = {"count": run.item_count, "amount": run.total_amount}
    if run.status is RunStatus.CANCELLED:
        sent = {"count": 0, "amount": ZERO}
    balanced = (
        sent["amount"] == paid["amount"] + returned["amount"] + pending["amount"]
        and sent["count"] == paid["count"] + returned["count"] + pending["count"]
    )
    return {
        "sent": sent,
        "paid": paid,
        "returned": returned,
        "pending": pending,
        "balanced": balanced,
    }


def reconcile_all() -> list[str]:
    """Every disagreement between runs, payments, applications and programs, one line each
    (empty: the books agree)."""
    problems: list[str] = []
    for run in db.session.execute(sa.select(PaymentRun).order_by(PaymentRun.id)).scalars():
        check = reconciliation(run.id)
        if not check["balanced"]:
            problems.append(
                f"run {run.id}: sent {check['sent']['amount']} != paid {check['paid']['amount']}"
                f" + returned {check['returned']['amount']} + pending {check['pending']['amount']}"
            )
    totals = db.session.execute(
        sa.select(
            Program.code,
            Program.scheduled_amount,
            Program.paid_amount,
            sa.select(sa.func.coalesce(sa.func.sum(Payment.amount), 0))
            .join(PaymentRun, PaymentRun.id == Payment.run_id)
            .where(PaymentRun.program_id == Program.id, Payment.status == PaymentStatus.SCHEDULED)
            .scalar_subquery(),
            sa.select(sa.func.coalesce(sa.func.sum(Payment.amount), 0))
            .join(PaymentRun, PaymentRun.id == Payment.run_id)
            .where(PaymentRun.program_id == Program.id, Payment.status == PaymentStatus.PAID)
            .scalar_subquery(),
        ).order_by(Program.code)
    ).all()
    for code, scheduled, paid, scheduled_sum, paid_sum in totals:
        if Decimal(scheduled) != Decimal(scheduled_sum) or Decimal(paid) != Decimal(paid_sum):
            problems.append(
                f"program {code}: scheduled {scheduled} / paid {paid} on the program, "
                f"{Decimal(scheduled_sum):.2f} / {Decimal(paid_sum):.2f} in its payments"
            )
    mirrors = db.session.execute(
        sa.select(Application.number, Application.payment_status, Payment.status)
        .join(Payment, Payment.application_id == Application.id)
        .where(
            Payment.status.in_([PaymentStatus.SCHEDULED, PaymentStatus.PAID]),
            sa.or_(
                Application.payment_status.is_(None),
                Application.payment_status != Payment.status,
            ),
        )
        .limit(10)
    ).all()
    for number, mirrored, actual in mirrors:
        problems.append(f"application {number}: shows payment {mirrored}, its payment is {actual}")
    return problems
