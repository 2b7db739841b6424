"""Appeals and recoveries through the JSON API, end to end: filing within the window (409 after
it, 409 while one is open), the official who took part refused (403), a granted appeal keeping
the application's place in the queue, a granted recovery appeal cancelling the case, repayments,
and the notice and appeal decision PDFs verifiable with their kind."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from subsidy.appeals import services as appeals
from tests.factories import bearer, make_applicant, make_program, make_user, registry, submit
from tests.http._obligations import recovery_case, rejected_application


@pytest.fixture
def rejected(app):
    """Three submitted applications of the heads program in queue order; the middle one
    rejected by ``rejecter``."""
    make_program()
    farms = [make_applicant("peasant_farm") for _ in range(3)]
    registry(livestock=[(farm.iin_bin, "cattle", 30, 30) for farm in farms])
    rejecter = make_user()
    before = submit(farms[0], quantity="5")
    middle = rejected_application(farms[1], official=rejecter)
    after = submit(farms[2], quantity="5")
    return {
        "before": before,
        "middle": middle,
        "after": after,
        "rejecter": rejecter,
        "farmer": make_user("applicant", applicant=farms[1]),
    }


def _file(client, application, farmer, reason="the certificate was attached"):
    return client.post(
        f"/api/v1/applications/{application.id}/appeals",
        json={"reason": reason},
        headers=bearer(farmer),
    )


def _verify(client, pdf: bytes) -> dict:
    response = client.post(
        "/api/v1/documents/verify",
        data={"file": (io.BytesIO(pdf), "document.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.json
    return response.json


def test_an_appeal_is_filed_and_answered_in_five_working_days(client, rejected):
    response = _file(client, rejected["middle"], rejected["farmer"])
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "open" and body["overdue"] is False
    assert body["due_on"] == "2026-06-22"  # Monday 15 June + 5 working days
    assert body["against"] == f"application:{rejected['middle'].id}"
    listed = client.get("/api/v1/appeals", headers=bearer(make_user("auditor"))).json["items"]
    assert [a["id"] for a in listed] == [body["id"]]
    mine = client.get("/api/v1/appeals", headers=bearer(rejected["farmer"])).json["items"]
    assert [a["id"] for a in mine] == [body["id"]]
    stranger = make_user("applicant", applicant=make_applicant())
    assert client.get("/api/v1/appeals", headers=bearer(stranger)).json["items"] == []
    assert client.get(f"/api/v1/appeals/{body['id']}", headers=bearer(stranger)).status_code == 404


def test_a_second_appeal_while_one_is_open_is_refused(client, rejected):
    assert _file(client, rejected["middle"], rejected["farmer"]).status_code == 201
    again = _file(client, rejected["middle"], rejected["farmer"], reason="again")
    assert again.status_code == 409, again.json
    assert "appeal" in again.json["errors"]


def _last_day(application):
    """Three months after the rejection letter's issue (its real time, not the test's today)."""
    return appeals.appealable_application(application).last_day


def test_an_appeal_after_three_months_is_refused_and_nothing_is_written(app, client, rejected):
    app.config["TODAY"] = (_last_day(rejected["middle"]) + timedelta(days=1)).isoformat()
    try:
        late = _file(client, rejected["middle"], rejected["farmer"])
    finally:
        app.config["TODAY"] = "2026-06-15"
    assert late.status_code == 409
    assert late.json["code"] == "appeal_window_closed"
    auditor = bearer(make_user("auditor"))
    assert client.get("/api/v1/appeals", headers=auditor).json["items"] == []


def test_the_last_day_is_still_within_the_window(app, client, rejected):
    app.config["TODAY"] = _last_day(rejected["middle"]).isoformat()
    try:
        assert _file(client, rejected["middle"], rejected["farmer"]).status_code == 201
    finally:
        app.config["TODAY"] = "2026-06-15"


def test_a_submitted_application_cannot_be_appealed(client, rejected):
    farmer = make_user("applicant", applicant=rejected["before"].applicant)
    response = _file(client, rejected["before"], farmer)
    assert response.status_code == 409


def test_an_empty_reason_is_refused_naming_it(client, rejected):
    response = _file(client, rejected["middle"], rejected["farmer"], reason="")
    assert response.status_code == 422 and "reason" in response.json["errors"]


def test_the_official_who_rejected_may_not_decide_the_appeal(client, rejected):
    appeal = _file(client, rejected["middle"], rejected["farmer"]).json
    refused = client.post(
        f"/api/v1/appeals/{appeal['id']}/decide",
        json={"outcome": "granted", "reason": "ok"},
        headers=bearer(rejected["rejecter"]),
    )
    assert refused.status_code == 403
    read = client.get(f"/api/v1/appeals/{appeal['id']}", headers=bearer(rejected["farmer"]))
    assert read.json["status"] == "open"


def test_a_granted_appeal_keeps_the_queue_place_and_its_decision_verifies(client, rejected):
    appeal = _file(client, rejected["middle"], rejected["farmer"]).json
    official = bearer(make_user())
    decided = client.post(
        f"/api/v1/appeals/{appeal['id']}/decide",
        json={"outcome": "granted", "reason": "the certificate is in the file"},
        headers=official,
    )
    assert decided.status_code == 200, decided.json
    assert decided.json["status"] == "granted" and decided.json["document"]
    middle = client.get(f"/api/v1/applications/{rejected['middle'].id}", headers=official).json
    assert middle["status"] == "submitted"
    queue = client.get("/api/v1/applications?status=submitted", headers=official).json["items"]
    ids = [a["id"] for a in queue]
    assert (
        ids.index(rejected["before"].id) < ids.index(middle["id"]) < ids.index(rejected["after"].id)
    )
    pdf = client.get(f"/api/v1/appeals/{appeal['id']}/decision.pdf", headers=official)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["X-Content-SHA256"] == decided.json["document"]["pdf_sha256"]
    again = client.get(
        f"/api/v1/appeals/{appeal['id']}/decision.pdf", headers=bearer(rejected["farmer"])
    )
    assert again.data == pdf.data
    verified = _verify(client, pdf.data)
    assert verified["valid"] is True and verified["kind"] == "appeal"
    twice = client.post(
        f"/api/v1/appeals/{appeal['id']}/decide",
        json={"outcome": "dismissed", "reason": "x"},
        headers=official,
    )
    assert twice.status_code == 409


def test_a_dismissed_appeal_changes_nothing(client, rejected):
    appeal = _file(client, rejected["middle"], rejected["farmer"]).json
    official = bearer(make_user())
    decided = client.post(
        f"/api/v1/appeals/{appeal['id']}/decide",
        json={"outcome": "dismissed", "reason": "no certificate"},
        headers=official,
    )
    assert decided.json["status"] == "dismissed"
    middle = client.get(f"/api/v1/applications/{rejected['middle'].id}", headers=official).json
    assert middle["status"] == "rejected"
    dismissed = client.get("/api/v1/appeals?status=dismissed", headers=official).json["items"]
    assert [a["id"] for a in dismissed] == [appeal["id"]]
    assert client.get("/api/v1/appeals?status=open", headers=official).json["items"] == []


def test_an_unknown_outcome_is_refused_naming_it(client, rejected):
    appeal = _file(client, rejected["middle"], rejected["farmer"]).json
    response = client.post(
        f"/api/v1/appeals/{appeal['id']}/decide",
        json={"outcome": "maybe", "reason": "x"},
        headers=bearer(make_user()),
    )
    assert response.status_code == 422 and "outcome" in response.json["errors"]


def test_an_open_appeal_past_its_due_day_is_listed_as_overdue(app, client, rejected):
    appeal = _file(client, rejected["middle"], rejected["farmer"]).json
    official = bearer(make_user())
    assert client.get("/api/v1/appeals?overdue=true", headers=official).json["items"] == []
    app.config["TODAY"] = "2026-06-23"
    try:
        late = client.get("/api/v1/appeals?overdue=true", headers=official).json["items"]
    finally:
        app.config["TODAY"] = "2026-06-15"
    assert [a["id"] for a in late] == [appeal["id"]] and late[0]["overdue"] is True


# --- recoveries -------------------------------------------------------------------------------


@pytest.fixture
def recovery(app):
    farm = make_applicant("peasant_farm")
    approver = make_user()
    application, case = recovery_case(farm, official=approver)
    return {
        "application": application,
        "case": case,
        "farmer": make_user("applicant", applicant=farm),
        "approver": approver,
    }


def test_a_recovery_case_is_listed_with_its_arithmetic(client, recovery):
    case_id = recovery["case"]["id"]
    treasurer = bearer(make_user("treasurer"))
    body = client.get(f"/api/v1/recoveries/{case_id}", headers=treasurer).json
    assert (body["claimed"], len(body["animals"])) == (4, 2)
    assert (body["paid_amount"], body["amount"], body["owed_amount"]) == (
        "4000.00",
        "2000.00",
        "2000.00",
    )
    assert body["due_on"] == "2026-07-15" and body["status"] == "open"
    mine = client.get("/api/v1/recoveries", headers=bearer(recovery["farmer"])).json["items"]
    assert [c["id"] for c in mine] == [case_id]
    stranger = bearer(make_user("applicant", applicant=make_applicant()))
    assert client.get("/api/v1/recoveries", headers=stranger).json["items"] == []
    assert client.get(f"/api/v1/recoveries/{case_id}", headers=stranger).status_code == 404


def test_the_notice_downloads_and_verifies_as_a_recovery(client, recovery):
    case = recovery["case"]
    pdf = client.get(
        f"/api/v1/recoveries/{case['id']}/notice.pdf", headers=bearer(recovery["farmer"])
    )
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["X-Content-SHA256"] == case["notice"]["pdf_sha256"]
    verified = _verify(client, pdf.data)
    assert verified["valid"] is True and verified["kind"] == "recovery"
    by_hash = client.post("/api/v1/documents/verify", json={"sha256": case["notice"]["pdf_sha256"]})
    assert by_hash.json["valid"] is True


def test_repayments_close_the_case(client, recovery):
    case_id = recovery["case"]["id"]
    treasurer = bearer(make_user("treasurer"))
    url = f"/api/v1/recoveries/{case_id}/repayments"
    part = client.post(url, json={"amount": "500.00", "paid_on": "2026-06-10"}, headers=treasurer)
    assert part.status_code == 201 and part.json["owed_amount"] == "1500.00"
    too_much = client.post(
        url, json={"amount": "1500.01", "paid_on": "2026-06-10"}, headers=treasurer
    )
    assert too_much.status_code == 409
    future = client.post(url, json={"amount": "1.00", "paid_on": "2026-06-16"}, headers=treasurer)
    assert future.status_code == 422 and "paid_on" in future.json["errors"]
    rest = client.post(url, json={"amount": "1500.00", "paid_on": "2026-06-15"}, headers=treasurer)
    assert rest.json["status"] == "repaid" and rest.json["owed_amount"] == "0.00"
    assert [r["amount"] for r in rest.json["repayments"]] == ["500.00", "1500.00"]
    repaid = client.get("/api/v1/recoveries?status=repaid", headers=treasurer).json["items"]
    assert [c["id"] for c in repaid] == [case_id]
    appeal = client.post(
        f"/api/v1/recoveries/{case_id}/appeals",
        json={"reason": "late"},
        headers=bearer(recovery["farmer"]),
    )
    assert appeal.status_code == 409


def test_a_case_past_its_due_date_is_overdue(app, client, recovery):
    auditor = bearer(make_user("auditor"))
    assert client.get("/api/v1/recoveries?status=overdue", headers=auditor).json["items"] == []
    app.config["TODAY"] = "2026-07-16"
    try:
        late = client.get("/api/v1/recoveries?status=overdue", headers=auditor).json["items"]
    finally:
        app.config["TODAY"] = "2026-06-15"
    assert [c["id"] for c in late] == [recovery["case"]["id"]]
    assert late[0]["status"] == "overdue"


def test_a_granted_recovery_appeal_cancels_the_case(client, recovery):
    case_id = recovery["case"]["id"]
    filed = client.post(
        f"/api/v1/recoveries/{case_id}/appeals",
        json={"reason": "the cows were stolen; the police report is attached"},
        headers=bearer(recovery["farmer"]),
    )
    assert filed.status_code == 201, filed.json
    assert filed.json["recovery"] == case_id
    appeal_id = filed.json["id"]
    refused = client.post(
        f"/api/v1/appeals/{appeal_id}/decide",
        json={"outcome": "granted", "reason": "x"},
        headers=bearer(recovery["approver"]),  # approved the paid application
    )
    assert refused.status_code == 403
    official = bearer(make_user())
    granted = client.post(
        f"/api/v1/appeals/{appeal_id}/decide",
        json={"outcome": "granted", "reason": "the theft is confirmed"},
        headers=official,
    )
    assert granted.status_code == 200
    case = client.get(f"/api/v1/recoveries/{case_id}", headers=official).json
    assert case["status"] == "cancelled" and case["owed_amount"] == "0.00"
    pdf = client.get(f"/api/v1/appeals/{appeal_id}/decision.pdf", headers=official)
    assert _verify(client, pdf.data)["kind"] == "appeal"
    repay = client.post(
        f"/api/v1/recoveries/{case_id}/repayments",
        json={"amount": "1.00", "paid_on": "2026-06-15"},
        headers=bearer(make_user("treasurer")),
    )
    assert repay.status_code == 409


def test_an_undecided_appeal_has_no_decision_pdf(client, recovery):
    filed = client.post(
        f"/api/v1/recoveries/{recovery['case']['id']}/appeals",
        json={"reason": "x"},
        headers=bearer(recovery["farmer"]),
    ).json
    pdf = client.get(f"/api/v1/appeals/{filed['id']}/decision.pdf", headers=bearer(make_user()))
    assert pdf.status_code == 404


def test_the_appeal_route_is_in_the_openapi_description(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/appeals",
        "/api/v1/appeals/{appeal_id}/decide",
        "/api/v1/recoveries/{case_id}/repayments",
        "/api/v1/applications/{application_id}/appeals",
    ):
        assert path in paths, path
