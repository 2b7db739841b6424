from datetime import timedelta

import sqlalchemy as sa

from subsidy.accounts.models import ApiToken
from subsidy.audit.models import AuditEntry
from subsidy.extensions import db
from tests.factories import PASSWORD, bearer, make_user


def _entries(action):
    return (
        db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == action)).scalars().all()
    )


def test_token_is_issued_for_good_credentials_and_stored_hashed(client):
    user = make_user("auditor", username="auditor-one")
    response = client.post(
        "/api/v1/auth/token", json={"username": "auditor-one", "password": PASSWORD}
    )
    assert response.status_code == 200
    token = response.json["token"]
    assert response.json["expires_at"].endswith("+00:00")
    stored = db.session.execute(sa.select(ApiToken.token_hash)).scalars().all()
    assert token not in stored and len(stored) == 1
    assert [e.subject for e in _entries("login_succeeded")] == [user.actor]
    assert len(_entries("token_issued")) == 1


def test_wrong_password_and_unknown_user_get_the_same_answer_and_are_logged(client):
    make_user("official", username="someone")
    wrong = client.post("/api/v1/auth/token", json={"username": "someone", "password": "nope"})
    unknown = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json
    failed = _entries("login_failed")
    assert len(failed) == 2
    assert failed[1].subject == "user:unknown"
    # the log never carries the username that was tried
    assert all(b"nobody" not in bytes(entry.canonical) for entry in failed)


def test_missing_field_is_422_naming_it(client):
    response = client.post("/api/v1/auth/token", json={"username": "x"})
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    assert "password" in response.json["errors"]


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json["code"] == "malformed"


def test_an_expired_token_is_refused(client, app):
    user = make_user("auditor")
    headers = bearer(user)
    token_row = db.session.execute(sa.select(ApiToken)).scalars().one()
    token_row.expires_at = token_row.created_at - timedelta(seconds=1)
    db.session.flush()
    assert client.get("/api/v1/audit/entries", headers=headers).status_code == 401


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_openapi_is_generated_from_the_schemas(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/applicants" in spec["paths"]
    assert "ApplicantCreate" in spec["components"]["schemas"]
