import pytest
import sqlalchemy as sa

from subsidy.applicants.models import Applicant
from subsidy.extensions import db
from tests.factories import bearer, first_district, make_applicant, make_user, new_bin, new_iin

KNOWN_IIN = "061211600012"
KNOWN_BIN = "940140000385"


def _count():
    return db.session.execute(sa.select(sa.func.count()).select_from(Applicant)).scalar_one()


@pytest.fixture
def official(app):
    return bearer(make_user("official"))


def test_official_registers_a_cooperative_with_members(client, official):
    members = [make_applicant("peasant_farm"), make_applicant("individual")]
    response = client.post(
        "/api/v1/applicants",
        headers=official,
        json={
            "kind": "cooperative",
            "iin_bin": KNOWN_BIN,
            "name": "СПК «Береке»",
            "district": first_district(),
            "members": [m.iin_bin for m in members],
        },
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["kind"] == "cooperative"
    assert sorted(m["iin_bin"] for m in body["members"]) == sorted(m.iin_bin for m in members)
    member_view = client.get(f"/api/v1/applicants/{members[0].iin_bin}", headers=official)
    assert member_view.json["member_of"][0]["iin_bin"] == KNOWN_BIN


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"iin_bin": "061211600013"}, "iin_bin"),
        ({"iin_bin": "12345"}, "iin_bin"),
        ({"district": "999999999"}, "district"),
        ({"kind": "kolkhoz"}, "kind"),
        ({"name": ""}, "name"),
        ({"members": ["000000000000"]}, "members[0]"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_invalid_input_is_422_naming_the_field_and_writes_nothing(client, official, change, field):
    payload = {
        "kind": "individual",
        "iin_bin": KNOWN_IIN,
        "name": "Серікбаев Нұрлан",
        "district": first_district(),
    }
    payload.update(change)
    if field == "members[0]":
        payload["kind"] = "cooperative"
        payload["iin_bin"] = KNOWN_BIN
    before = _count()
    response = client.post("/api/v1/applicants", headers=official, json=payload)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert _count() == before


@pytest.mark.parametrize("missing", ["kind", "iin_bin", "name", "district"])
def test_missing_field_is_422(client, official, missing):
    payload = {
        "kind": "individual",
        "iin_bin": KNOWN_IIN,
        "name": "Иванова Ольга",
        "district": first_district(),
    }
    del payload[missing]
    response = client.post("/api/v1/applicants", headers=official, json=payload)
    assert response.status_code == 422
    assert missing in response.json["errors"]


def test_a_bin_for_an_individual_is_refused(client, official):
    response = client.post(
        "/api/v1/applicants",
        headers=official,
        json={
            "kind": "individual",
            "iin_bin": new_bin(),
            "name": "X Y",
            "district": first_district(),
        },
    )
    assert response.status_code == 422
    assert "iin_bin" in response.json["errors"]


def test_registering_the_same_id_twice_is_409(client, official):
    existing = make_applicant("individual")
    response = client.post(
        "/api/v1/applicants",
        headers=official,
        json={
            "kind": "individual",
            "iin_bin": existing.iin_bin,
            "name": "Dup",
            "district": first_district(),
        },
    )
    assert response.status_code == 409


def test_anonymous_is_401_and_wrong_role_403(client):
    payload = {
        "kind": "individual",
        "iin_bin": new_iin(),
        "name": "A B",
        "district": first_district(),
    }
    assert client.post("/api/v1/applicants", json=payload).status_code == 401
    auditor = bearer(make_user("auditor"))
    assert client.post("/api/v1/applicants", json=payload, headers=auditor).status_code == 403
    farmer = bearer(make_user("applicant"))
    assert client.post("/api/v1/applicants", json=payload, headers=farmer).status_code == 403


def test_applicant_user_reads_only_its_own_applicant(client):
    own = make_applicant("peasant_farm")
    other = make_applicant("peasant_farm")
    headers = bearer(make_user("applicant", applicant=own))
    assert client.get(f"/api/v1/applicants/{own.iin_bin}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/applicants/{other.iin_bin}", headers=headers).status_code == 403
    assert client.get("/api/v1/applicants/061211600012", headers=headers).status_code == 403


def test_unknown_applicant_is_404_for_officials(client, official):
    assert client.get("/api/v1/applicants/061211600012", headers=official).status_code == 404


def test_districts_are_public(client):
    response = client.get("/api/v1/districts")
    assert response.status_code == 200
    assert len(response.json) >= 9
    assert {"code", "name"} <= response.json[0].keys()
