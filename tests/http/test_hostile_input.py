"""Input a client can send never causes a 500, and a refusal names the field (review findings)."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from subsidy.db import ExactNumeric, Money
from subsidy.extensions import db
from tests.factories import bearer, make_applicant, make_program, make_user, registry


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/api/v1/auth/token", '{"username": "far\\u0000mer", "password": "x"}'),
        ("POST", "/api/v1/auth/token", '{"username": "\\ud800", "password": "x"}'),
        ("GET", "/api/v1/programs/%00", None),
        ("GET", "/api/v1/programs?x=%00", None),
        ("POST", "/api/v1/documents/verify", '{"sha256": "a\\u0000"}'),
    ],
)
def test_nul_and_lone_surrogates_are_refused_not_crashed(client, app, method, url, body):
    # Raw JSON text with \u escapes: what a hostile client sends on the wire.
    response = client.open(url, method=method, data=body, content_type="application/json")
    assert response.status_code == 422, response.data
    assert response.json["errors"]


def test_huge_ids_and_cursors_are_refused(client, app):
    official = bearer(make_user("official"))
    auditor = bearer(make_user("auditor"))
    assert client.get("/api/v1/applications/2147483648", headers=official).status_code == 404
    assert (
        client.get("/api/v1/applications?cursor=4611686018427387904", headers=official).status_code
        == 422
    )
    assert (
        client.get("/api/v1/audit/entries?start=9223372036854775808", headers=auditor).status_code
        == 422
    )


@pytest.mark.parametrize("quantity", ["1E+1", "1_000", "١٠", " ", "0x10", "1.2.3", "-5"])
def test_quantities_are_plain_decimal_text(client, app, quantity):
    make_program()
    farm = make_applicant("peasant_farm")
    registry(livestock=[(farm.iin_bin, "cattle", 30, 30)])
    response = client.post(
        "/api/v1/applications",
        json={"program": "TEST-HEADS-2026", "applicant": farm.iin_bin, "quantity": quantity},
        headers=bearer(make_user("official")),
    )
    assert response.status_code == 422, response.json
    assert "quantity" in response.json["errors"]


def test_a_farmer_learns_nothing_about_other_ids(client, app):
    make_program()
    farmer = bearer(make_user("applicant"))
    registered = make_applicant("peasant_farm")
    for iin_bin in (registered.iin_bin, "061211600012"):
        response = client.post(
            "/api/v1/applications",
            json={"program": "TEST-HEADS-2026", "applicant": iin_bin, "quantity": "1"},
            headers=farmer,
        )
        assert response.status_code == 403


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (ExactNumeric(18, 4), "9999999999999.99"),
        (ExactNumeric(18, 4), "0.0001"),
        (Money(), "9999999999999.99"),
        (Money(), "12345.67"),
    ],
)
def test_decimals_come_back_exactly_on_both_databases(app, column, value):
    stored = db.session.execute(sa.select(sa.literal(Decimal(value), column))).scalar_one()
    assert stored == Decimal(value)
    assert str(stored).rstrip("0").rstrip(".") == value.rstrip("0").rstrip(".")


def test_me_tells_a_farmer_its_applicant(client, app):
    farm = make_applicant("peasant_farm")
    response = client.get("/api/v1/auth/me", headers=bearer(make_user("applicant", applicant=farm)))
    assert response.status_code == 200
    assert response.json["applicant"]["iin_bin"] == farm.iin_bin
    assert client.get("/api/v1/auth/me").status_code == 401
