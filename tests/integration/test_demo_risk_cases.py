"""After `subsidy seed-demo` the officials' queue shows the demo's risk cases: the flags on the
seeded applications and the failing animal checks, as DemoCases describes them; a second run
writes nothing."""

from __future__ import annotations

import json

import sqlalchemy as sa

from subsidy.accounts.models import User
from subsidy.applicants.models import Applicant
from subsidy.applications.models import Application, ApplicationFlag, Status
from subsidy.applications.queries import claimed_animals, list_applications
from subsidy.audit.models import AuditEntry
from subsidy.demo.generate import DEMO_DAY, generate
from subsidy.extensions import db
from subsidy.registry.models import RegistrySnapshot


def _count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _seeded() -> dict[str, list[Application]]:
    """The seeded applications by case, in the order submitted."""
    data = generate()
    assert data.cases is not None
    found: dict[str, list[Application]] = {}
    for case in data.cases.applications:
        application = db.session.execute(
            sa.select(Application)
            .join(Applicant, Applicant.id == Application.applicant_id)
            .where(Applicant.iin_bin == case["applicant"])
            .where(Application.number.startswith(case["program"]))
        ).scalar_one()
        assert application.idempotency_key == f"seed-demo:{case['case']}:{case['applicant']}"
        found.setdefault(case["case"], []).append(application)
    return found


def _flags(application: Application) -> dict[str, dict]:
    rows = db.session.execute(
        sa.select(ApplicationFlag).where(ApplicationFlag.application_id == application.id)
    ).scalars()
    return {row.code: json.loads(row.evidence) for row in rows}


def _failed(application: Application) -> dict[str, dict]:
    checks = json.loads(application.evaluation)["checks"]
    return {check["rule"]: check for check in checks if not check["passed"]}


def test_the_seeded_applications_show_each_risk_case(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "8 applications showing risk cases" in result.output
    cases = _seeded()
    official = db.session.execute(sa.select(User).filter_by(username="official")).scalar_one()
    for applications in cases.values():
        for application in applications:
            assert application.submitted_on == DEMO_DAY
            assert application.submitted_by_id == official.id

    (old,) = cases["over_age"]
    assert old.status is Status.INELIGIBLE
    failed = _failed(old)
    assert list(failed) == ["animal_age"]
    (failing,) = failed["animal_age"]["facts_used"]["failing"]
    assert 107 * 12 <= failing["months"] <= 109 * 12
    assert failing["animal"] in failed["animal_age"]["detail"]["en"]
    assert failing["animal"] in claimed_animals(old.id)

    (bought,) = cases["recently_bought"]
    assert bought.status is Status.INELIGIBLE
    failed = _failed(bought)
    assert list(failed) == ["animals_owned_since"]
    (failing,) = failed["animals_owned_since"]["facts_used"]["failing"]
    assert failing["days"] == 18
    assert f"{failing['animal']} (18 days)" in failed["animals_owned_since"]["detail"]["en"]

    first, second = cases["shared_account"]
    assert first.applicant.iban == second.applicant.iban
    for application, other in ((first, second), (second, first)):
        assert application.status is Status.SUBMITTED
        assert _flags(application)["shared_bank_account"] == {"applicants": [other.applicant_id]}

    cooperative, member = cases["member_claims"]
    shared = sorted(set(claimed_animals(cooperative.id)) & set(claimed_animals(member.id)))
    assert len(shared) == 5
    for application, other in ((cooperative, member), (member, cooperative)):
        assert application.status is Status.SUBMITTED
        evidence = _flags(application)["member_also_applies"]
        assert evidence == {"applications": [other.number], "animals": shared, "parcels": []}

    company, sister = cases["split_request"]
    assert company.applicant.head_iin == sister.applicant.head_iin
    for application, other in ((company, sister), (sister, company)):
        assert application.status is Status.SUBMITTED
        assert application.requested_amount <= 10_000_000
        flags = _flags(application)
        assert flags["threshold_splitting"]["total"] == "19600000.00"
        assert flags["shared_head"]["applications"] == [other.number]

    # The officials' queue filtered by each flag lists exactly its case's applications.
    expected = {
        "shared_bank_account": cases["shared_account"],
        "member_also_applies": cases["member_claims"],
        "threshold_splitting": cases["split_request"],
    }
    for flag, applications in expected.items():
        rows, _ = list_applications(user=official, flag=flag)
        assert [row.number for row in rows] == [a.number for a in applications], flag


def test_seeding_again_writes_nothing(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    counts = (_count(Application), _count(AuditEntry), _count(RegistrySnapshot))
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "0 applications showing risk cases" in second.output
    assert (_count(Application), _count(AuditEntry), _count(RegistrySnapshot)) == counts
    # 8 risk cases, 6 paid or waiting dairy farms, the breeding farm paid then in breach, two
    # appealed rejections; the four extracts and the later animals extract.
    assert counts[0] == 8 + 6 + 1 + 2 and counts[2] == 5
