from decimal import Decimal

import pytest

from subsidy.applications.models import Status
from tests.factories import bearer, make_applicant, make_program, make_user, registry, submit


@pytest.fixture
def setup(app):
    make_program(threshold="5000.00")
    mine, theirs = make_applicant("peasant_farm"), make_applicant("peasant_farm")
    registry(livestock=[(f.iin_bin, "cattle", 30, 30) for f in (mine, theirs)])
    farmer = make_user("applicant", applicant=mine)
    other_farmer = make_user("applicant", applicant=theirs)
    return {
        "mine": mine,
        "theirs": theirs,
        "farmer": bearer(farmer),
        "other": bearer(other_farmer),
        "official": bearer(make_user("official")),
        "official2": bearer(make_user("official")),
        "auditor": bearer(make_user("auditor")),
        "admin": bearer(make_user("admin")),
        "farmer_user": farmer,
    }


def _apply(client, headers, applicant, quantity="10", key=None):
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/v1/applications",
        json={"program": "TEST-HEADS-2026", "applicant": applicant.iin_bin, "quantity": quantity},
        headers={**headers, **extra},
    )


def test_a_farmer_applies_and_sees_the_explained_checks(client, setup):
    response = _apply(client, setup["farmer"], setup["mine"])
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "submitted"
    assert body["requested_amount"] == "10000.00"
    assert body["eligibility"]["eligible"] is True
    assert body["eligibility"]["rules_version"]
    rules = [check["rule"] for check in body["eligibility"]["checks"]]
    assert "min_livestock_heads" in rules and "no_double_funding" in rules
    assert all(
        set(check["detail"]) == {"ru", "kk", "en"} for check in body["eligibility"]["checks"]
    )


def test_the_same_idempotency_key_twice_gives_one_application(client, setup):
    first = _apply(client, setup["farmer"], setup["mine"], key="retry-1")
    second = _apply(client, setup["farmer"], setup["mine"], key="retry-1")
    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"]
    listed = client.get("/api/v1/applications", headers=setup["farmer"]).json["items"]
    assert len(listed) == 1


def test_a_farmer_cannot_apply_for_read_or_list_another_farmers_applications(client, setup):
    assert _apply(client, setup["farmer"], setup["theirs"]).status_code == 403
    theirs = _apply(client, setup["other"], setup["theirs"]).json
    assert (
        client.get(f"/api/v1/applications/{theirs['id']}", headers=setup["farmer"]).status_code
        == 404
    )
    listed = client.get("/api/v1/applications", headers=setup["farmer"]).json["items"]
    assert listed == []
    everything = client.get("/api/v1/applications", headers=setup["official"]).json["items"]
    assert [item["id"] for item in everything] == [theirs["id"]]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"program": "NOPE", "applicant": None, "quantity": "1"}, "program"),
        ({"program": "TEST-HEADS-2026", "applicant": "000000000000", "quantity": "1"}, "applicant"),
        ({"program": "TEST-HEADS-2026", "applicant": None, "quantity": "-1"}, "quantity"),
        ({"program": "TEST-HEADS-2026", "applicant": None, "quantity": 1.5}, "quantity"),
        ({"program": "TEST-HEADS-2026", "applicant": None, "quantity": "abc"}, "quantity"),
        ({"program": "TEST-HEADS-2026", "applicant": None}, "quantity"),
    ],
)
def test_bad_submissions_are_422_naming_the_field(client, setup, payload, field):
    payload = {k: (setup["mine"].iin_bin if v is None else v) for k, v in payload.items()}
    response = client.post("/api/v1/applications", json=payload, headers=setup["official"])
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_two_officials_approve_above_the_threshold_and_the_same_one_twice_is_409(client, setup):
    application = _apply(client, setup["farmer"], setup["mine"]).json  # 10,000 > 5,000
    url = f"/api/v1/applications/{application['id']}/approve"
    first = client.post(url, json={}, headers=setup["official"])
    assert first.status_code == 200 and first.json["status"] == "awaiting_second_approval"
    again = client.post(url, json={}, headers=setup["official"])
    assert again.status_code == 409
    second = client.post(url, json={"comment": "ok"}, headers=setup["official2"])
    assert second.status_code == 200 and second.json["status"] == "approved"
    assert second.json["decision"]["approved_amount"] == "10000.00"
    program = client.get("/api/v1/programs/TEST-HEADS-2026").json
    assert program["committed"] == "10000.00"
    assert Decimal(program["remaining"]) == Decimal(program["budget"]) - Decimal("10000")


def test_a_rejected_application_cannot_be_approved(client, setup):
    application = _apply(client, setup["farmer"], setup["mine"]).json
    base = f"/api/v1/applications/{application['id']}"
    assert client.post(f"{base}/reject", json={}, headers=setup["official"]).status_code == 422
    rejected = client.post(
        f"{base}/reject", json={"reason": "нет документов"}, headers=setup["official"]
    )
    assert rejected.status_code == 200 and rejected.json["decision"]["reason"] == "нет документов"
    response = client.post(f"{base}/approve", json={}, headers=setup["official2"])
    assert response.status_code == 409
    assert "rejected" in response.json["message"]


def test_a_farmer_withdraws_before_a_decision(client, setup):
    application = _apply(client, setup["farmer"], setup["mine"]).json
    url = f"/api/v1/applications/{application['id']}/withdraw"
    assert client.post(url, headers=setup["other"]).status_code == 404
    response = client.post(url, headers=setup["farmer"])
    assert response.status_code == 200 and response.json["status"] == "withdrawn"


def test_list_filters_and_keyset_pagination(client, setup):
    ids = [_apply(client, setup["official"], setup[k]).json["id"] for k in ("mine", "theirs")]
    page = client.get("/api/v1/applications?limit=1", headers=setup["auditor"]).json
    assert [item["id"] for item in page["items"]] == ids[:1]
    page2 = client.get(
        f"/api/v1/applications?limit=1&cursor={page['next']}", headers=setup["auditor"]
    ).json
    assert [item["id"] for item in page2["items"]] == ids[1:]
    assert page2["next"] is None
    waiting = client.get(
        "/api/v1/applications?status=submitted&program=TEST-HEADS-2026", headers=setup["official"]
    ).json["items"]
    assert len(waiting) == 2
    assert (
        client.get("/api/v1/applications?status=bogus", headers=setup["official"]).status_code
        == 422
    )


def test_overdue_applications_are_listed_for_officials(client, setup, app):
    application = _apply(client, setup["farmer"], setup["mine"]).json
    app.config["TODAY"] = "2026-07-20"  # past the 10 working days
    try:
        overdue = client.get("/api/v1/applications?overdue=true", headers=setup["official"]).json
    finally:
        app.config["TODAY"] = "2026-06-15"
    assert [item["id"] for item in overdue["items"]] == [application["id"]]
    assert overdue["items"][0]["overdue"] is True


# --- every route of the workflow, for every role ------------------------------------------

ROLES = ["anonymous", "farmer", "other", "official", "auditor", "admin"]
# (method, path template, body, {role: expected status})
MATRIX = [
    (
        "GET",
        "/api/v1/programs",
        None,
        {
            "anonymous": 200,
            "farmer": 200,
            "other": 200,
            "official": 200,
            "auditor": 200,
            "admin": 200,
        },
    ),
    (
        "GET",
        "/api/v1/programs/TEST-HEADS-2026",
        None,
        {
            "anonymous": 200,
            "farmer": 200,
            "other": 200,
            "official": 200,
            "auditor": 200,
            "admin": 200,
        },
    ),
    (
        "POST",
        "/api/v1/applications",
        "apply",
        {
            "anonymous": 401,
            "farmer": 201,
            "other": 403,
            "official": 201,
            "auditor": 403,
            "admin": 403,
        },
    ),
    (
        "GET",
        "/api/v1/applications",
        None,
        {
            "anonymous": 401,
            "farmer": 200,
            "other": 200,
            "official": 200,
            "auditor": 200,
            "admin": 403,
        },
    ),
    (
        "GET",
        "/api/v1/applications/{id}",
        None,
        {
            "anonymous": 401,
            "farmer": 200,
            "other": 404,
            "official": 200,
            "auditor": 200,
            "admin": 403,
        },
    ),
    (
        "GET",
        "/api/v1/applications/{id}/decision.pdf",
        None,
        {
            "anonymous": 401,
            "farmer": 404,
            "other": 404,
            "official": 404,
            "auditor": 404,
            "admin": 403,
        },
    ),
    (
        "POST",
        "/api/v1/applications/{id}/approve",
        {},
        {
            "anonymous": 401,
            "farmer": 403,
            "other": 403,
            "official": 200,
            "auditor": 403,
            "admin": 403,
        },
    ),
    (
        "POST",
        "/api/v1/applications/{id}/reject",
        {"reason": "x"},
        {
            "anonymous": 401,
            "farmer": 403,
            "other": 403,
            "official": 200,
            "auditor": 403,
            "admin": 403,
        },
    ),
    (
        "POST",
        "/api/v1/applications/{id}/withdraw",
        None,
        {
            "anonymous": 401,
            "farmer": 200,
            "other": 404,
            "official": 403,
            "auditor": 403,
            "admin": 403,
        },
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_authorization_of_every_workflow_route(client, setup, method, path, body, expected, role):
    application = submit(setup["mine"], quantity="1", user=setup["farmer_user"])
    assert application.status is Status.SUBMITTED
    headers = {} if role == "anonymous" else setup[role]
    if body == "apply":
        body = {"program": "TEST-HEADS-2026", "applicant": setup["mine"].iin_bin, "quantity": "2"}
    url = path.format(id=application.id)
    response = client.open(url, method=method, json=body, headers=headers)
    assert response.status_code == expected[role], (role, url, response.json)
