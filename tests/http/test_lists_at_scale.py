"""The fast paths of the paged lists (flat rows, queue positions in one query, the API list
written without marshmallow, the register's totals kept between decisions) answer exactly what
the plain paths do."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from subsidy.applications import services
from subsidy.applications.models import Application, Status
from subsidy.applications.queries import application_view, list_applications, queue_position
from subsidy.applications.schemas import ApplicationPageSchema
from subsidy.decisions import services as decisions
from subsidy.extensions import db
from subsidy.payments import iso20022
from subsidy.payments import services as payments
from tests.factories import (
    bearer,
    give_account,
    make_applicant,
    make_program,
    make_user,
    registry,
    submit,
    tranche,
)


def pay(application) -> None:
    """Through a payment run and the bank's report: the application becomes paid."""
    give_account(application.applicant)
    tranche(application.program, f"{application.approved_amount:.2f}")
    run = payments.prepare_run(program=application.program, user=make_user("treasurer")).run
    payments.release_run(run_id=run.id, user=make_user("treasurer"))
    report = iso20022.StatusReport(
        "BANK-1",
        datetime(2026, 6, 20, tzinfo=UTC),
        f"RUN-{run.id}",
        None,
        (iso20022.TransactionStatus(application.number, "ACSC", None, None),),
    )
    payments.apply_status_report(run_id=run.id, data=iso20022.render_pain002(report), actor="test")
    assert application.status is Status.PAID


@pytest.fixture
def every_status(app):
    """Applications in every status, two of them waitlisted in one program's queue."""
    make_program(budget="25000.00", threshold="15000.00")
    make_program("TEST-OTHER-2026")
    farms = [make_applicant("peasant_farm") for _ in range(8)]
    company = make_applicant("legal_entity", name="ТОО «Шығыс Агро»")
    registry(livestock=[(a.iin_bin, "cattle", 30, 30) for a in [*farms, company]])
    official, second = make_user("official"), make_user("official")
    approved = submit(farms[0], quantity="10")
    decisions.approve_application(application=approved, user=official, comment="ok")
    paid = submit(farms[7], quantity="1")
    decisions.approve_application(application=paid, user=official)
    pay(paid)
    big = submit(company, quantity="16")  # above the threshold: a first approval only
    decisions.approve_application(application=big, user=official)
    rejected = submit(farms[1], quantity="5")
    decisions.reject_application(application=rejected, user=official, reason="нет справки")
    spent = submit(farms[2], quantity="10")
    decisions.approve_application(application=spent, user=second)
    waiting = [submit(farm, quantity="10") for farm in farms[3:5]]
    for application in waiting:
        approval = decisions.approve_application(application=application, user=official)
        assert approval.waitlisted and application.status is Status.WAITLISTED
    withdrawn = submit(farms[5], program_code="TEST-OTHER-2026")
    farmer = make_user("applicant", applicant=farms[5])
    services.withdraw_application(application=withdrawn, user=farmer)
    submit(farms[6], program_code="TEST-OTHER-2026")
    submit(make_applicant("peasant_farm"), quantity="10")  # no registry data: ineligible
    db.session.commit()
    return {"official": official, "waiting": waiting}


def test_every_status_is_present(every_status):
    statuses = {a.status for a in db.session.execute(db.select(Application)).scalars()}
    assert statuses == set(Status)


def test_queue_positions_in_a_list_match_each_applications_own(every_status):
    rows, _ = list_applications(user=every_status["official"], limit=50)
    positions = {row.id: row.queue_position for row in rows if row.queue_position is not None}
    assert positions == {a.id: queue_position(a) for a in every_status["waiting"]}
    assert sorted(positions.values()) == [1, 2]


def test_the_api_list_equals_the_schema_dump_of_each_application(client, every_status):
    headers = bearer(every_status["official"])
    page = client.get("/api/v1/applications?limit=200", headers=headers)
    assert page.status_code == 200 and page.mimetype == "application/json"
    applications = db.session.execute(db.select(Application).order_by(Application.id)).scalars()
    expected = ApplicationPageSchema().dump(
        {"items": [application_view(a) for a in applications], "next": None}
    )
    assert page.json == expected
    for item in page.json["items"]:  # and each item is what reading it alone answers
        assert client.get(f"/api/v1/applications/{item['id']}", headers=headers).json == item


def test_the_api_list_pages_with_a_cursor(client, every_status):
    headers = bearer(every_status["official"])
    everything = client.get("/api/v1/applications", headers=headers).json["items"]
    first = client.get("/api/v1/applications?limit=3", headers=headers).json
    second = client.get(f"/api/v1/applications?limit=3&cursor={first['next']}", headers=headers)
    assert [i["id"] for i in first["items"] + second.json["items"]] == [
        i["id"] for i in everything[:6]
    ]
    waitlisted = client.get("/api/v1/applications?status=waitlisted", headers=headers).json
    assert [i["queue_position"] for i in waitlisted["items"]] == [1, 2]
    assert waitlisted["next"] is None


def test_the_register_totals_follow_every_new_decision(client, app):
    """The totals are kept between requests; a decision made since must show at once."""
    make_program()
    farms = [make_applicant("peasant_farm") for _ in range(3)]
    registry(livestock=[(a.iin_bin, "cattle", 30, 30) for a in farms])
    official = make_user("official")
    first, second, third = (submit(farm, quantity="10") for farm in farms)
    decisions.approve_application(application=first, user=official)
    db.session.commit()

    def approved_total() -> Decimal:
        summary = client.get("/api/v1/transparency/summary").json
        return sum(Decimal(row["amount"]) for row in summary["by_district"])

    assert approved_total() == Decimal("10000.00")
    assert approved_total() == Decimal("10000.00")  # answered again from what was kept
    decisions.approve_application(application=second, user=official, amount=Decimal("2500"))
    db.session.commit()
    assert approved_total() == Decimal("12500.00")
    page = client.get("/transparency?lang=en").get_data(as_text=True)
    assert "12,500.00" in page or "12 500,00" in page
    decisions.reject_application(application=third, user=official, reason="нет справки")
    db.session.commit()
    summary = client.get("/api/v1/transparency/summary").json
    assert [row["approved"] for row in summary["by_program"]] == [2]
    assert approved_total() == Decimal("12500.00")


def test_the_queue_page_shows_positions_and_translated_statuses(client, every_status):
    from tests.http.test_workflow_pages import _login

    _login(client, every_status["official"])
    page = client.get("/applications?lang=en&status=waitlisted").get_data(as_text=True)
    assert "position 1 in the queue" in page and "position 2 in the queue" in page
    assert ">waitlisted<" in page
    assert "<title>Applications ·" in page


def test_the_register_api_equals_the_schema_dump(client, every_status):
    from subsidy.transparency.queries import register_page
    from subsidy.transparency.schemas import RegisterPageSchema

    for query in ("", "?outcome=approved", "?limit=1"):
        answer = client.get(f"/api/v1/transparency/decisions{query}")
        assert answer.status_code == 200 and answer.mimetype == "application/json"
        items, next_cursor = register_page(
            **({"limit": 1} if "limit" in query else {}),
            **({"outcome": "approved"} if "outcome" in query else {}),
        )
        assert answer.json == RegisterPageSchema().dump({"items": items, "next": next_cursor})
    everything = client.get("/api/v1/transparency/decisions").json["items"]
    assert sorted(item["outcome"] for item in everything) == [
        "approved",
        "approved",
        "approved",
        "rejected",
    ]


def test_the_queue_pages_budget_gauges_follow_every_approval(client, app):
    from tests.http.test_workflow_pages import _login

    make_program(budget="50000.00")
    farms = [make_applicant("peasant_farm") for _ in range(2)]
    registry(livestock=[(a.iin_bin, "cattle", 30, 30) for a in farms])
    official = make_user("official")
    first, second = (submit(farm, quantity="10") for farm in farms)
    db.session.commit()
    _login(client, official)

    def gauge() -> str:
        page = client.get("/applications?lang=en").get_data(as_text=True)
        return page[page.index('<div class="gauges">') :]

    assert "remaining 50,000.00" in gauge()
    decisions.approve_application(application=first, user=official)
    db.session.commit()
    assert "Committed 10,000.00" in gauge() and "remaining 40,000.00" in gauge()
    decisions.approve_application(application=second, user=official, amount=Decimal("2500"))
    db.session.commit()
    assert "Committed 12,500.00" in gauge() and "remaining 37,500.00" in gauge()
    submit(make_applicant("peasant_farm"), quantity="10")  # changes no total
    make_program(budget="60000.00")  # a new version raises the budget
    db.session.commit()
    assert "remaining 47,500.00" in gauge()
