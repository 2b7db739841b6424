"""Login abuse, security headers, cookies and request size limits."""

import pytest

from subsidy.audit.models import AuditEntry
from subsidy.config import build_config
from subsidy.extensions import db, limiter
from tests.factories import PASSWORD, make_user


def test_security_headers_on_pages_and_api(client, app):
    for path in ("/", "/api/v1/programs", "/login"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/api/v1/programs").headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_expires(client, app):
    user = make_user("official", username="cookie-test")
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # a permanent session: PERMANENT_SESSION_LIFETIME, 8 hours


def test_production_settings_make_cookies_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("SUBSIDY_ENV", "production")
    monkeypatch.setenv("SUBSIDY_TRUSTED_HOSTS", "subsidy.example.kz")
    settings = build_config(tmp_path, {"SECRET_KEY": "x"})
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["RATELIMIT_STORAGE_URI"].startswith("redis://")
    monkeypatch.setenv("SUBSIDY_ENV", "prod")
    with pytest.raises(ValueError):
        build_config(tmp_path, {"SECRET_KEY": "x"})


def test_oversized_requests_are_refused_with_413(client, app):
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(
        "/api/v1/documents/verify", data=big, content_type="application/octet-stream"
    )
    assert response.status_code == 413


def test_login_attempts_are_throttled_per_account_and_logged(tmp_path):
    """On an app of its own with the limits on: five failures of one account are free, the
    sixth waits (429 with Retry-After, not checked and not logged)."""
    from tests.conftest import make_app, migrate

    app = make_app(f"sqlite:///{tmp_path / 'limits.db'}", tmp_path, RATELIMIT_ENABLED=True)
    migrate(app)
    try:
        with app.app_context():
            make_user("official", username="target")
            db.session.commit()
        client = app.test_client()
        answers = [
            client.post("/api/v1/auth/token", json={"username": "target", "password": "guess"})
            for _ in range(12)
        ]
        assert [a.status_code for a in answers] == [401] * 5 + [429] * 7
        assert 25 <= int(answers[-1].headers["Retry-After"]) <= 30
        assert answers[-1].json["code"] == "too_many_requests"
        with app.app_context():
            failed = db.session.query(AuditEntry).filter_by(action="login_failed").count()
            db.session.remove()
            db.engine.dispose()
        assert failed == 5
    finally:
        limiter.enabled = False  # one Limiter object serves every app in this process


def _token_statuses(tmp_path, trusted_proxies: int, addresses: list[str]) -> list[int]:
    """Failed token requests, each for another username, one from each X-Forwarded-For
    address, on an app whose per-address ceiling is 10 failures and ``trusted_proxies``
    proxies believed."""
    from tests.conftest import make_app, migrate

    app = make_app(
        f"sqlite:///{tmp_path / 'proxies.db'}",
        tmp_path,
        RATELIMIT_ENABLED=True,
        TRUSTED_PROXIES=trusted_proxies,
        LOGIN_ADDRESS_CEILING=10,
    )
    migrate(app)
    try:
        client = app.test_client()
        statuses = [
            client.post(
                "/api/v1/auth/token",
                json={"username": f"target-{n}", "password": "guess"},
                headers={"X-Forwarded-For": address},
            ).status_code
            for n, address in enumerate(addresses)
        ]
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        return statuses
    finally:
        limiter.enabled = False


def test_a_client_cannot_escape_the_address_ceiling_by_forging_x_forwarded_for(tmp_path):
    forged = [f"198.51.100.{n}" for n in range(12)]
    assert _token_statuses(tmp_path, 0, forged) == [401] * 10 + [429, 429]


def test_behind_a_trusted_proxy_each_client_address_has_its_own_ceiling(tmp_path):
    addresses = ["203.0.113.7"] * 11 + ["203.0.113.8"]
    assert _token_statuses(tmp_path, 1, addresses) == [401] * 10 + [429, 401]


@pytest.mark.parametrize("value", ["-1", "one", "11", "1.5", "", "١"])
def test_an_unreadable_trusted_proxies_setting_stops_the_app(monkeypatch, tmp_path, value):
    monkeypatch.setenv("SUBSIDY_TRUSTED_PROXIES", value)
    with pytest.raises(ValueError, match="SUBSIDY_TRUSTED_PROXIES"):
        build_config(tmp_path, {"SECRET_KEY": "x"})
