"""PUT /api/v1/applicants/{iin_bin}/bank-account, and who sees the account and the head's IIN:
the applicant itself and officials, nobody else, and never a public endpoint."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from subsidy.applicants import services
from subsidy.audit.models import AuditEntry
from subsidy.extensions import db
from tests.factories import bearer, first_district, make_applicant, make_user, new_bin, new_iin

IBAN = "KZ86125KZT5004100100"
BIC = "KCJBKZKX"
PATH = "/api/v1/applicants/{}/bank-account"


@pytest.fixture
def farm(app):
    return make_applicant("peasant_farm")


def _size() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one()


def _last_entry() -> AuditEntry:
    return db.session.execute(
        sa.select(AuditEntry).order_by(AuditEntry.entry_index.desc()).limit(1)
    ).scalar_one()


def test_the_applicant_sets_its_account(client, farm):
    headers = bearer(make_user("applicant", applicant=farm))
    response = client.put(
        PATH.format(farm.iin_bin),
        headers=headers,
        json={"iban": "kz86 125k zt50 0410 0100", "bic": BIC},
    )
    assert response.status_code == 200, response.json
    account = response.json["bank_account"]
    assert (account["iban"], account["bic"]) == (IBAN, BIC) and account["changed_at"]
    entry = _last_entry()
    assert (entry.action, entry.subject) == ("bank_account_changed", f"applicant:{farm.id}")
    assert hashlib.sha256(IBAN.encode()).hexdigest().encode() in bytes(entry.canonical)
    assert IBAN.encode() not in bytes(entry.canonical)
    # The same account again: 200, nothing logged.
    size = _size()
    again = client.put(PATH.format(farm.iin_bin), headers=headers, json={"iban": IBAN, "bic": BIC})
    assert again.status_code == 200 and _size() == size
    assert again.json["bank_account"]["changed_at"] == account["changed_at"]


def test_an_official_sets_an_applicants_account(client, farm):
    response = client.put(
        PATH.format(farm.iin_bin),
        headers=bearer(make_user("official")),
        json={"iban": IBAN, "bic": BIC},
    )
    assert response.status_code == 200
    assert response.json["bank_account"]["iban"] == IBAN


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"iban": "KZ87125KZT5004100100", "bic": BIC}, "iban"),  # check digits
        ({"iban": "DE89370400440532013000", "bic": BIC}, "iban"),
        ({"iban": "KZ86125KZT500410010", "bic": BIC}, "iban"),
        ({"iban": "KZ86125KZT50041001ÖÖ", "bic": BIC}, "iban"),
        ({"iban": IBAN, "bic": "DEUTDEFF"}, "bic"),
        ({"iban": IBAN, "bic": "KCJBKZKX1"}, "bic"),
        ({"iban": IBAN}, "bic"),
        ({"bic": BIC}, "iban"),
        ({"iban": IBAN, "bic": BIC, "other": 1}, "other"),
        ({"iban": "K" * 65, "bic": BIC}, "iban"),
        ({"iban": None, "bic": BIC}, "iban"),
    ],
)
def test_a_wrong_account_is_422_naming_the_field_and_writes_nothing(client, farm, body, field):
    headers = bearer(make_user("official"))
    size = _size()
    response = client.put(PATH.format(farm.iin_bin), headers=headers, json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    db.session.expire_all()
    assert farm.iban is None and _size() == size


def test_access(client, farm):
    other = make_applicant("peasant_farm")
    body = {"iban": IBAN, "bic": BIC}
    assert client.put(PATH.format(farm.iin_bin), json=body).status_code == 401
    stranger = bearer(make_user("applicant", applicant=other))
    assert client.put(PATH.format(farm.iin_bin), headers=stranger, json=body).status_code == 403
    for role in ("auditor", "admin"):
        headers = bearer(make_user(role))
        assert client.put(PATH.format(farm.iin_bin), headers=headers, json=body).status_code == 403
    official = bearer(make_user("official"))
    assert client.put(PATH.format(new_iin()), headers=official, json=body).status_code == 404
    db.session.expire_all()
    assert farm.iban is None


def test_who_sees_the_account_and_the_head(client):
    head = new_iin()
    company = services.create_applicant(
        kind="legal_entity",
        iin_bin=new_bin(),
        name="ТОО «Тест»",
        district=first_district(),
        head_iin=head,
        iban=IBAN,
        bic=BIC,
        actor="test",
    )
    url = f"/api/v1/applicants/{company.iin_bin}"
    for headers in (bearer(make_user("applicant", applicant=company)), bearer(make_user())):
        body = client.get(url, headers=headers).json
        assert body["bank_account"]["iban"] == IBAN and body["head_iin"] == head
    for role in ("auditor", "admin"):
        body = client.get(url, headers=bearer(make_user(role))).json
        assert "bank_account" not in body and "head_iin" not in body
    plain = client.get(
        f"/api/v1/applicants/{make_applicant('individual').iin_bin}", headers=bearer(make_user())
    ).json
    assert plain["bank_account"] is None and plain["head_iin"] is None


def test_me_shows_the_applicants_own_account(client, farm):
    services.set_bank_account(applicant=farm, iban=IBAN, bic=BIC, actor="test")
    me = client.get("/api/v1/auth/me", headers=bearer(make_user("applicant", applicant=farm)))
    assert me.status_code == 200
    assert me.json["applicant"]["bank_account"]["iban"] == IBAN
    assert me.json["applicant"]["head_iin"] is None


def test_official_creates_with_account_and_head_through_the_api(client):
    head = new_iin()
    response = client.post(
        "/api/v1/applicants",
        headers=bearer(make_user("official")),
        json={
            "kind": "cooperative",
            "iin_bin": new_bin(),
            "name": "СПК «Тест»",
            "district": first_district(),
            "head_iin": head,
            "iban": IBAN,
            "bic": BIC,
        },
    )
    assert response.status_code == 201, response.json
    assert response.json["head_iin"] == head
    assert response.json["bank_account"]["bic"] == BIC


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"iban": IBAN}, "bic"),
        ({"iban": "KZ00125KZT5004100100", "bic": BIC}, "iban"),
        ({"head_iin": "061211600013"}, "head_iin"),
        ({"kind": "individual", "iin_bin": "061211600012", "head_iin": "061211600012"}, "head_iin"),
    ],
)
def test_create_with_a_wrong_account_or_head_is_422(client, change, field):
    payload = {
        "kind": "peasant_farm",
        "iin_bin": new_iin(),
        "name": "КХ «Тест»",
        "district": first_district(),
        **change,
    }
    headers = bearer(make_user())
    size = _size()
    response = client.post("/api/v1/applicants", headers=headers, json=payload)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert _size() == size


def test_no_public_endpoint_shows_an_account(client, farm):
    services.set_bank_account(applicant=farm, iban=IBAN, bic=BIC, actor="test")
    for path in ("/api/v1/transparency/decisions", "/api/v1/openapi.json", "/transparency"):
        assert IBAN not in client.get(path).text
