"""Server-side sessions and revocable tokens (issue 19): a cookie kept after logout, a cookie
copied into another browser, and the sessions and tokens of a user whose password, role or
account an admin changed sign nobody in."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from subsidy.accounts import models, services
from subsidy.accounts.models import ApiToken
from subsidy.audit.models import AuditEntry
from subsidy.audit.sequencer import run_sequencer
from subsidy.extensions import db
from tests.factories import PASSWORD, bearer, make_user

BROWSER = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile"}
OTHER_BROWSER = {"User-Agent": "curl/8.5.0"}
PAGE = "/applications"  # an official's page: 302 to the login form when not signed in


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _sign_in(client, username: str, headers=BROWSER) -> str:
    """Sign in through the form; the session cookie's value."""
    page = client.get("/login", headers=headers)
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": _csrf(page.text)},
        headers=headers,
    )
    assert response.status_code == 302, response.text
    return client.get_cookie("session").value


def _replay(app, cookie: str, headers=BROWSER):
    """GET the page with only this cookie, as an attacker holding a copy of it would."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get(PAGE, headers=headers)


def _actions() -> list[str]:
    """The log's actions in order (what services called here queued, sequenced first; the
    test's own work committed before, or the sequencer's rollback would take it back)."""
    db.session.commit()
    run_sequencer()
    query = sa.select(AuditEntry.action).order_by(AuditEntry.entry_index)
    return list(db.session.execute(query).scalars())


def test_a_cookie_replayed_after_logout_signs_nobody_in(app, client):
    make_user("official", username="aidos")
    cookie = _sign_in(client, "aidos")
    assert _replay(app, cookie).status_code == 200
    page = client.get("/login", headers=BROWSER)
    logout = client.post("/logout", data={"csrf_token": _csrf(page.text)}, headers=BROWSER)
    assert logout.status_code == 302
    replayed = _replay(app, cookie)
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
    assert "logged_out" in _actions()
    row = db.session.execute(sa.select(models.UserSession)).scalar_one()
    assert row.revoked_at is not None


def test_logout_without_the_csrf_token_is_refused_and_the_session_lives(app, client):
    make_user("official", username="aidos")
    cookie = _sign_in(client, "aidos")
    assert client.post("/logout", headers=BROWSER).status_code == 400
    assert _replay(app, cookie).status_code == 200


def test_a_cookie_copied_into_another_browser_is_not_signed_in_there(app, client):
    make_user("official", username="aidos")
    cookie = _sign_in(client, "aidos")
    assert _replay(app, cookie, OTHER_BROWSER).status_code == 302
    assert _replay(app, cookie, {}).status_code == 302
    # The owner's browser stays signed in.
    assert _replay(app, cookie, BROWSER).status_code == 200


def test_the_session_store_keeps_only_a_hash_of_the_cookies_secret(app, client):
    make_user("official", username="aidos")
    _sign_in(client, "aidos")
    with client.session_transaction() as session:
        secret = session["sid"]
    row = db.session.execute(sa.select(models.UserSession)).scalar_one()
    assert secret not in (row.secret_hash, row.user_agent_hash) and len(row.secret_hash) == 64


def test_an_idle_or_expired_session_ends(app, client):
    make_user("official", username="aidos")
    cookie = _sign_in(client, "aidos")
    row = db.session.execute(sa.select(models.UserSession)).scalar_one()
    row.last_seen_at -= app.config["SESSION_IDLE_TIMEOUT"] + timedelta(seconds=1)
    db.session.commit()
    assert _replay(app, cookie).status_code == 302
    row.last_seen_at += app.config["SESSION_IDLE_TIMEOUT"]
    row.expires_at = row.created_at
    db.session.commit()
    assert _replay(app, cookie).status_code == 302


def _signed_in_twice(app, client, username: str):
    """A web session and an API token of ``username``."""
    cookie = _sign_in(client, username)
    token = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    assert _replay(app, cookie).status_code == 200
    assert app.test_client().get("/api/v1/auth/me", headers=headers).status_code == 200
    return cookie, headers


def _both_ended(app, cookie, headers) -> None:
    assert _replay(app, cookie).status_code == 302
    assert app.test_client().get("/api/v1/auth/me", headers=headers).status_code == 401


def test_an_admins_password_change_ends_every_session_and_token(app, client):
    user = make_user("official", username="aidos")
    cookie, headers = _signed_in_twice(app, client, "aidos")
    services.set_password(user=user, password="a different long passphrase", actor="cli")
    db.session.commit()
    _both_ended(app, cookie, headers)
    assert _actions()[-1] == "password_changed"


def test_a_role_change_ends_every_session_and_token(app, client):
    user = make_user("official", username="aidos")
    cookie, headers = _signed_in_twice(app, client, "aidos")
    services.change_role(user=user, role="auditor", actor="cli")
    db.session.commit()
    _both_ended(app, cookie, headers)


def test_deactivation_ends_every_session_and_token(app, client):
    user = make_user("official", username="aidos")
    cookie, headers = _signed_in_twice(app, client, "aidos")
    services.deactivate(user=user, actor="cli")
    db.session.commit()
    _both_ended(app, cookie, headers)
    services.activate(user=user, actor="cli")
    db.session.commit()
    _both_ended(app, cookie, headers)  # activation brings back nothing old
    assert _actions()[-2:] == ["user_deactivated", "user_activated"]


def test_delete_token_revokes_the_token_presented_and_only_it(client):
    user = make_user("auditor", username="dana")
    first, second = bearer(user), bearer(user)
    db.session.commit()
    assert client.delete("/api/v1/auth/token", headers=first).status_code == 204
    assert client.get("/api/v1/auth/me", headers=first).status_code == 401
    assert client.delete("/api/v1/auth/token", headers=first).status_code == 401
    assert client.get("/api/v1/auth/me", headers=second).status_code == 200
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "token_revoked")
    ).scalar_one()
    assert "dana" not in entry.canonical.decode()


def test_the_token_list_shows_the_callers_live_tokens_without_secrets(client):
    user, other = make_user("auditor"), make_user("auditor")
    first, second = bearer(user), bearer(user)
    bearer(other)
    db.session.commit()
    client.delete("/api/v1/auth/token", headers=first)
    listing = client.get("/api/v1/auth/tokens", headers=second)
    assert listing.status_code == 200
    items = listing.json["items"]
    assert len(items) == 1 and items[0]["current"] is True
    assert set(items[0]) == {"id", "created_at", "expires_at", "last_used_at", "current"}
    assert items[0]["last_used_at"] is not None
    stored = db.session.execute(sa.select(ApiToken.token_hash)).scalars().all()
    assert not any(h in listing.text for h in stored)
    assert second["Authorization"].split()[1] not in listing.text
