"""The request's one commit (``commit_or_rollback`` in subsidy.app) can itself fail: the database
goes away between the last statement and COMMIT, or PostgreSQL refuses the transaction at commit
(a serialization failure, a deferred constraint). The answer, not sent yet, becomes the refusal
that error gets anywhere else — 503 with Retry-After, or 409 — never the success of what was not
kept, nor a 500 with a traceback; and nothing of the request is stored."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import Session

from subsidy.accounts.models import ApiToken
from subsidy.audit.models import AuditEntry
from subsidy.extensions import db
from subsidy.outage import RETRY_AFTER_SECONDS
from tests.factories import PASSWORD, make_user

GONE = exc.OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
REFUSED = exc.IntegrityError("COMMIT", {}, Exception("duplicate key value violates unique"))


@pytest.fixture
def failing_commit(monkeypatch):
    """The next commit raises the error given; later ones commit."""
    pending: list[Exception] = []
    original = Session.commit

    def commit(self):
        if pending:
            raise pending.pop()
        return original(self)

    monkeypatch.setattr(Session, "commit", commit)
    return pending.append


def _stored(action: str) -> int:
    query = sa.select(sa.func.count()).where(AuditEntry.action == action)
    return db.session.execute(query).scalar_one()


def _token_request(client):
    return client.post("/api/v1/auth/token", json={"username": "clerk-one", "password": PASSWORD})


@pytest.mark.parametrize(
    ("error", "status", "code"), [(GONE, 503, "unavailable"), (REFUSED, 409, "conflict")]
)
def test_an_api_write_whose_commit_fails_is_refused_and_keeps_nothing(
    client, failing_commit, error, status, code
):
    make_user("official", username="clerk-one")
    failing_commit(error)
    refused = _token_request(client)
    assert refused.status_code == status, refused.data[:300]
    assert refused.json["code"] == code and "token" not in refused.json
    if status == 503:
        assert refused.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert _stored("token_issued") == 0 and _stored("login_succeeded") == 0
    assert db.session.execute(sa.select(sa.func.count()).select_from(ApiToken)).scalar_one() == 0
    served = _token_request(client)  # the next request is served as usual
    assert served.status_code == 200 and served.json["token"]
    assert _stored("token_issued") == 1


@pytest.mark.parametrize(("error", "status"), [(GONE, 503), (REFUSED, 409)])
def test_a_page_whose_commit_fails_is_a_refusal_page_not_a_500(
    client, failing_commit, error, status
):
    failing_commit(error)
    response = client.get("/transparency?lang=ru")
    assert response.status_code == status
    assert response.mimetype == "text/html"
    if status == 503:
        assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert "Повторите через несколько секунд" in response.text
    assert client.get("/transparency").status_code == 200
