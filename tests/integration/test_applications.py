"""The workflow through the services: evaluation, claims, decisions, budget and queue."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from subsidy.applications.models import Status
from subsidy.applications.queries import queue_position
from subsidy.applications.services import submit_application, withdraw_application
from subsidy.audit.models import AuditEntry
from subsidy.decisions import services as decisions
from subsidy.errors import Conflict, Forbidden, ValidationFailed
from subsidy.extensions import db
from tests.factories import make_applicant, make_program, make_user, registry, submit


def _farms(count, heads=20):
    farms = [make_applicant("peasant_farm") for _ in range(count)]
    registry(livestock=[(farm.iin_bin, "cattle", heads, heads) for farm in farms])
    return farms


def _actions(application):
    return [
        entry.action
        for entry in db.session.execute(
            sa.select(AuditEntry)
            .where(AuditEntry.subject == f"application:{application.id}")
            .order_by(AuditEntry.entry_index)
        ).scalars()
    ]


def test_an_eligible_application_is_evaluated_and_logged(app):
    make_program()
    (farm,) = _farms(1)
    application = submit(farm, quantity="10")
    assert application.status is Status.SUBMITTED
    assert application.requested_amount == Decimal("10000.00")
    assert application.number == f"TEST-HEADS-2026-{application.id:06d}"
    assert _actions(application) == ["application_submitted", "application_evaluated"]
    assert application.decision_due_on.isoformat() == "2026-06-29"  # 10 working days


def test_an_application_is_pinned_to_the_rate_of_its_version(app):
    make_program(rate="1000.00")
    farm_a, farm_b = _farms(2)
    first = submit(farm_a, quantity="10")
    make_program(rate="2000.00")  # a new version of the same program
    second = submit(farm_b, quantity="10")
    assert first.requested_amount == Decimal("10000.00")
    assert second.requested_amount == Decimal("20000.00")
    assert first.program_version.version == 1 and second.program_version.version == 2


def test_the_same_parcel_claimed_twice_makes_the_second_ineligible_naming_the_first(app):
    make_program(
        "TEST-LAND-2026",
        unit="hectare",
        rate="5000.00",
        criteria=[
            {"rule": "min_land_hectares", "params": {"min": "10"}},
            {"rule": "no_double_funding"},
        ],
    )
    first_farm = make_applicant("peasant_farm")
    second_farm = make_applicant("legal_entity")
    registry(
        land=[
            (first_farm.iin_bin, "05-068-012-345", "40"),
            (second_farm.iin_bin, "05-068-012-345", "40"),
        ]
    )
    first = submit(first_farm, "TEST-LAND-2026", quantity="30")
    second = submit(second_farm, "TEST-LAND-2026", quantity="30")
    assert first.status is Status.SUBMITTED
    assert second.status is Status.INELIGIBLE
    check = next(
        c
        for c in __import__("json").loads(second.evaluation)["checks"]
        if c["rule"] == "no_double_funding"
    )
    assert not check["passed"]
    for language in ("ru", "kk", "en"):
        assert first.number in check["detail"][language]


def test_a_cooperative_and_its_member_cannot_both_claim_the_members_cattle(app):
    make_program()
    member = make_applicant("peasant_farm")
    others = [make_applicant("individual") for _ in range(4)]
    coop = make_applicant("cooperative", members=[m.iin_bin for m in (member, *others)])
    registry(livestock=[(member.iin_bin, "cattle", 30, 30)])
    first = submit(member, quantity="10")
    second = submit(coop, quantity="10")
    assert first.status is Status.SUBMITTED
    assert second.status is Status.INELIGIBLE


def test_window_and_applicant_kind_are_enforced_with_the_field_named(app):
    make_program("TEST-CLOSED-2026", opens="2026-01-01", closes="2026-02-01")
    make_program("TEST-COOPS-2026", kinds=["cooperative"])
    (farm,) = _farms(1)
    with pytest.raises(ValidationFailed) as closed:
        submit(farm, "TEST-CLOSED-2026")
    assert "program" in closed.value.errors
    with pytest.raises(ValidationFailed) as kind:
        submit(farm, "TEST-COOPS-2026")
    assert "applicant" in kind.value.errors


def test_quantity_must_fit_the_unit(app):
    make_program()
    (farm,) = _farms(1)
    with pytest.raises(ValidationFailed) as error:
        submit(farm, quantity="2.5")
    assert "quantity" in error.value.errors


def test_the_same_idempotency_key_gives_one_application(app):
    make_program()
    (farm,) = _farms(1)
    user = make_user("applicant", applicant=farm)
    first = submit(farm, user=user, key="abc")
    again = submit(farm, user=user, key="abc")
    assert again.id == first.id
    with pytest.raises(Conflict):
        submit(farm, user=user, key="abc", quantity="11")


def test_a_farmer_cannot_apply_for_another_farmer(app):
    make_program()
    mine, theirs = _farms(2)
    user = make_user("applicant", applicant=mine)
    with pytest.raises(Forbidden):
        submit(theirs, user=user)


def test_above_the_threshold_two_different_officials_must_approve(app):
    make_program(threshold="5000.00")
    (farm,) = _farms(1)
    application = submit(farm, quantity="10")  # 10,000 > 5,000
    first, second = make_user("official"), make_user("official")
    decisions.approve_application(application=application, user=first)
    assert application.status is Status.AWAITING_SECOND_APPROVAL
    assert application.program.committed_amount == 0
    with pytest.raises(Conflict):
        decisions.approve_application(application=application, user=first)
    decisions.approve_application(application=application, user=second)
    assert application.status is Status.APPROVED
    assert application.program.committed_amount == Decimal("10000.00")
    assert _actions(application)[-3:] == [
        "application_first_approval",
        "application_approved",
        "document_issued",
    ]


def test_an_official_who_is_a_cooperative_member_cannot_decide_its_application(app):
    make_program()
    member = make_applicant("individual")
    others = [make_applicant().iin_bin for _ in range(4)]
    coop = make_applicant("cooperative", members=[member.iin_bin, *others])
    registry(livestock=[(coop.iin_bin, "cattle", 50, 50)])
    application = submit(coop, quantity="10")
    official = make_user("official")
    official.iin = member.iin_bin
    with pytest.raises(Forbidden):
        decisions.approve_application(application=application, user=official)
    with pytest.raises(Forbidden):
        decisions.reject_application(application=application, user=official, reason="x")


def test_approved_amount_may_be_lower_never_higher(app):
    make_program()
    (farm,) = _farms(1)
    application = submit(farm, quantity="10")
    official = make_user("official")
    with pytest.raises(ValidationFailed):
        decisions.approve_application(
            application=application, user=official, amount=Decimal("10000.01")
        )
    decisions.approve_application(application=application, user=official, amount=Decimal("9000"))
    assert application.approved_amount == Decimal("9000.00")


def test_a_rejected_application_cannot_be_approved_and_rejection_needs_a_reason(app):
    make_program()
    (farm,) = _farms(1)
    application = submit(farm)
    official = make_user("official")
    with pytest.raises(ValidationFailed):
        decisions.reject_application(application=application, user=official, reason="  ")
    decisions.reject_application(application=application, user=official, reason="документы")
    with pytest.raises(Conflict):
        decisions.approve_application(application=application, user=official)


def test_budget_spent_waitlists_and_a_raise_takes_the_queue_in_order(app):
    make_program(budget="25000.00")
    farms = _farms(4)
    applications = [submit(farm, quantity="10") for farm in farms]  # 10,000 each
    official = make_user("official")
    decisions.approve_application(application=applications[0], user=official)
    decisions.approve_application(application=applications[1], user=official)
    for position, application in enumerate(applications[2:], start=1):
        approval = decisions.approve_application(application=application, user=official)
        assert approval.outcome is decisions.Outcome.WAITLISTED
        assert approval.queue_position == position and approval.remaining == Decimal("5000.00")
        assert approval.refusal().status == 409 and approval.refusal().code == "budget_exhausted"
        assert application.status is Status.WAITLISTED
    assert queue_position(applications[2]) == 1
    assert queue_position(applications[3]) == 2
    make_program(budget="45000.00")  # a new version raises the budget by 20,000
    with pytest.raises(Conflict) as ahead:  # the later one may not jump the queue
        decisions.approve_application(application=applications[3], user=official)
    assert applications[2].number in ahead.value.message
    decisions.approve_application(application=applications[2], user=official)
    decisions.approve_application(application=applications[3], user=official)
    program = applications[0].program
    assert program.committed_amount == Decimal("40000.00") <= program.budget_amount


def test_withdrawal_before_a_decision_only_by_the_farmer(app):
    make_program()
    (farm,) = _farms(1)
    farmer = make_user("applicant", applicant=farm)
    application = submit(farm, user=farmer)
    with pytest.raises(Forbidden):
        withdraw_application(application=application, user=make_user("official"))
    withdraw_application(application=application, user=farmer)
    assert application.status is Status.WITHDRAWN
    with pytest.raises(Conflict):
        withdraw_application(application=application, user=farmer)


def test_a_budget_below_what_is_committed_is_refused(app):
    make_program(budget="20000.00")
    (farm,) = _farms(1)
    application = submit(farm, quantity="10")
    decisions.approve_application(application=application, user=make_user("official"))
    with pytest.raises(Conflict):
        make_program(budget="5000.00")


def test_submission_by_an_auditor_is_refused(app):
    make_program()
    (farm,) = _farms(1)
    with pytest.raises(Forbidden):
        submit_application(
            program="TEST-HEADS-2026",
            applicant=farm.iin_bin,
            quantity=Decimal(1),
            user=make_user("auditor"),
        )


@pytest.mark.parametrize("amount", ["-5", "0", "0.004", "1E-30", "NaN"])
def test_an_approved_amount_must_be_positive_whole_tiyn(app, amount):
    make_program()
    (farm,) = _farms(1)
    application = submit(farm, quantity="10")
    with pytest.raises(ValidationFailed) as refused:
        decisions.approve_application(
            application=application, user=make_user("official"), amount=Decimal(amount)
        )
    assert "amount" in refused.value.errors
    assert application.status is Status.SUBMITTED
    assert application.program.committed_amount == 0
