"""Concurrent approvals never commit more than the budget (row lock on the program's budget)."""

import threading
from decimal import Decimal

import sqlalchemy as sa

from subsidy.accounts.services import issue_token
from subsidy.applications.models import Application, Status
from subsidy.audit.verification import verify_log
from subsidy.extensions import db
from subsidy.programs.models import Program
from tests.factories import make_applicant, make_program, make_user, registry, submit

APPLICATIONS = 50
COVERED = 10


def test_fifty_concurrent_approvals_on_a_budget_for_ten(committed_app):
    with committed_app.app_context():
        make_program(budget=f"{COVERED * 10000}.00", threshold="50000.00")
        farms = [make_applicant("peasant_farm") for _ in range(APPLICATIONS)]
        registry(livestock=[(farm.iin_bin, "cattle", 20, 20) for farm in farms])
        ids = [submit(farm, quantity="10").id for farm in farms]
        token, _ = issue_token(user=make_user("official"))
        db.session.commit()

    client = committed_app.test_client()
    start = threading.Barrier(APPLICATIONS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def approve(application_id: int) -> None:
        try:
            start.wait()
            with committed_app.app_context():
                response = client.post(
                    f"/api/v1/applications/{application_id}/approve",
                    json={},
                    headers={"Authorization": f"Bearer {token}"},
                )
            statuses.append(response.status_code)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=approve, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    assert sorted(set(statuses)) == [200, 409]
    assert statuses.count(200) == COVERED

    with committed_app.app_context():
        rows = db.session.execute(sa.select(Application.status)).scalars().all()
        assert rows.count(Status.APPROVED) == COVERED
        assert all(s in (Status.APPROVED, Status.WAITLISTED, Status.SUBMITTED) for s in rows)
        program = db.session.execute(sa.select(Program)).scalar_one()
        assert program.committed_amount == Decimal(COVERED * 10000) <= program.budget_amount
        ok, line, _ = verify_log()
        assert ok, line
