"""After `subsidy seed-demo`: the breeding farm paid on DEMO_DAY and the later animals extract
without three of its cows (one recovery case, 3/5 of the payment, with its notice), and two
rejected milk applications appealed by their farms' users, one granted (back in the queue in its
place) and one dismissed, both decided by official2 with their documents."""

from __future__ import annotations

import json
from decimal import Decimal

import sqlalchemy as sa

from subsidy.accounts.models import User
from subsidy.appeals.models import Appeal, AppealStatus
from subsidy.applications.models import Application, ApplicationClaim, Status
from subsidy.decisions.models import DecisionDocument
from subsidy.demo.obligations import BREACH_AS_OF, BREEDING
from subsidy.extensions import db
from subsidy.obligations.models import CaseStatus, RecoveryCase
from subsidy.registry.models import RegistrySnapshot


def _user(username: str) -> User:
    return db.session.execute(sa.select(User).filter_by(username=username)).scalar_one()


def test_the_demo_shows_a_breach_and_two_appeals(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output

    [case] = db.session.execute(sa.select(RecoveryCase)).scalars().all()
    application = db.session.get(Application, case.application_id)
    assert application.number.startswith(BREEDING) and application.status is Status.PAID
    claimed = db.session.execute(
        sa.select(ApplicationClaim.claim_key).where(
            ApplicationClaim.application_id == application.id
        )
    ).scalars()
    claimed = sorted(key.removeprefix("animal:") for key in claimed)
    assert (case.claimed_count, case.paid_amount, case.amount) == (
        5,
        Decimal("750000.00"),
        Decimal("450000.00"),
    )
    assert json.loads(case.animals) == claimed[:3]
    assert case.status is CaseStatus.OPEN and case.repaid_amount == 0
    snapshot = db.session.get(RegistrySnapshot, case.snapshot_id)
    assert (snapshot.kind, snapshot.as_of) == ("animals", BREACH_AS_OF)
    assert application.paid_on < BREACH_AS_OF
    notice = db.session.get(DecisionDocument, case.notice_document_id)
    assert notice.kind == "recovery" and notice.pdf.startswith(b"%PDF")

    appeals = db.session.execute(sa.select(Appeal).order_by(Appeal.id)).scalars().all()
    assert [appeal.status for appeal in appeals] == [
        AppealStatus.GRANTED,
        AppealStatus.DISMISSED,
    ]
    official, official2 = _user("official"), _user("official2")
    for appeal, username in zip(appeals, ("farmer2", "farmer3"), strict=True):
        appealed = db.session.get(Application, appeal.application_id)
        appellant = _user(username)
        assert appeal.filed_by_id == appellant.id
        assert appellant.applicant_id == appealed.applicant_id
        assert appeal.decided_by_id == official2.id
        document = db.session.get(DecisionDocument, appeal.document_id)
        assert (document.kind, document.outcome) == ("appeal", appeal.status.value)
    granted, dismissed = (db.session.get(Application, a.application_id) for a in appeals)
    assert granted.status is Status.SUBMITTED and granted.decided_by_id is None
    assert dismissed.status is Status.REJECTED and dismissed.decided_by_id == official.id
