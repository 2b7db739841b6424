"""The demo's money: a few clean dairy farms (not the demo farmer's) apply to the milk program
and are approved, the treasury releases a tranche that covers some of them, one treasurer
prepares a payment run and another releases it, and the bank's status report pays the first ones
and returns one (a closed account). The rest wait on the public list. All through the real
services; done once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from subsidy.accounts.models import User
from subsidy.applications.flags import has_high_flag
from subsidy.applications.models import Status
from subsidy.applications.services import submit_application
from subsidy.decisions.services import approve_application
from subsidy.demo.generate import DEMO_DAY, _debtors
from subsidy.extensions import db
from subsidy.payments import iso20022
from subsidy.payments.models import PaymentRun
from subsidy.payments.services import (
    apply_status_report,
    prepare_run,
    release_run,
    release_tranche,
)
from subsidy.programs.queries import program_by_code

PROGRAM = "DAIRY-MILK-2026"
FARMS = 6  # approved applications
PAID = 3  # the bank pays the first three of the run...
LITERS = Decimal("100000")  # 4,500,000 KZT each at the spring rate
TRANCHE = Decimal("18000000.00")  # ...covering four of the six


def _user(username: str) -> User:
    return db.session.execute(sa.select(User).filter_by(username=username)).scalar_one()


def _dairy_farms(data, farmer: dict, taken: set[str]) -> list[dict]:
    """Debt-free farms with a fully identified herd of 60+ cattle and a bank account, none in a
    demo case and not the demo farmer's (who applies to the milk program in the walkthrough)."""
    debtors = _debtors(data.tax)
    dairy = {
        row["iin_bin"]
        for row in data.livestock
        if row["species"] == "cattle"
        and row["heads"] >= 60
        and row["identified_heads"] == row["heads"]
    }
    farms: list[dict] = []
    for row in data.applicants:
        if len(farms) == FARMS:
            break
        if (
            row["kind"] in ("peasant_farm", "legal_entity")
            and row["iin_bin"] in dairy - debtors - taken
            and row.get("iban")
            and row["iin_bin"] != farmer["iin_bin"]
        ):
            farms.append(row)
    return farms


def seed_payments(data, farm: dict, on_demo_day) -> int:
    """Submit and approve the farms' applications, then the tranche, the run and the bank's
    answer, once (nothing when a payment run exists). The number of applications paid."""
    if db.session.execute(sa.select(PaymentRun.id).limit(1)).first() is not None:
        return 0
    official = _user("official")
    taken = {case["applicant"] for case in (data.cases.applications if data.cases else [])}
    approved = []
    for row in _dairy_farms(data, farm, taken):
        with on_demo_day():
            application, _ = submit_application(
                program=PROGRAM,
                applicant=row["iin_bin"],
                quantity=LITERS,
                user=official,
                idempotency_key=f"seed-demo:payments:{row['iin_bin']}",
            )
        if application.status is Status.SUBMITTED and not has_high_flag(application.id):
            approval = approve_application(application=application, user=official)
            if approval.application.status is Status.APPROVED:
                approved.append(application)
    if not approved:
        return 0
    program = program_by_code(PROGRAM)
    release_tranche(
        program=program,
        amount=min(TRANCHE, program.budget_amount - program.released_amount),
        released_on=DEMO_DAY,
        reference="ДЕМО-КАЗНА-2026-001",
        user=_user("treasurer"),
    )
    run = prepare_run(program=program, user=_user("treasurer")).run
    release_run(run_id=run.id, user=_user("treasurer2"))
    statuses = [
        iso20022.TransactionStatus(
            payment.end_to_end_id,
            "ACSC" if n < PAID else "RJCT",
            None if n < PAID else "AC04",
            None,
        )
        for n, payment in enumerate(run.payments)
    ]
    report = iso20022.render_pain002(
        iso20022.StatusReport(
            message_id=f"DEMO-BANK-{run.id}",
            created_at=datetime.now(UTC).replace(microsecond=0),
            original_message_id=f"RUN-{run.id}",
            group_status=None,
            transactions=tuple(statuses),
        )
    )
    outcome = apply_status_report(run_id=run.id, data=report, actor="seed-demo")
    return outcome.paid
