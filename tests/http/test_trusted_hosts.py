"""A request for a host the service does not answer to is refused (issue 19): with
`SUBSIDY_TRUSTED_HOSTS` set, as production requires, `GET //static//style.css` with
`Host: evil.example` gets 400 instead of `308 Location: http://evil.example/...`."""

import pytest

from subsidy.config import build_config

ERROR_SHAPE = {"code", "message", "errors"}


@pytest.fixture
def trusting(app):
    """The app with TRUSTED_HOSTS set, as production requires (SUBSIDY_TRUSTED_HOSTS)."""
    app.config["TRUSTED_HOSTS"] = ["subsidy.test", ".subsidy.test"]
    try:
        yield app
    finally:
        app.config["TRUSTED_HOSTS"] = None


@pytest.mark.parametrize("path", ["//static//style.css", "/static/style.css", "/api/v1/programs"])
def test_a_foreign_host_is_refused_and_never_redirected_to(client, trusting, path):
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "Location" not in response.headers
    if path.startswith("/api/"):
        assert set(response.json) == ERROR_SHAPE


def test_a_trusted_host_is_served_and_redirected_to_itself(client, trusting):
    merged = client.get("//static//style.css", headers={"Host": "www.subsidy.test"})
    assert merged.status_code == 308
    assert merged.headers["Location"].startswith("http://www.subsidy.test/")
    assert client.get("/static/style.css", headers={"Host": "subsidy.test:8000"}).status_code == 200


def test_production_refuses_to_start_without_trusted_hosts(monkeypatch, tmp_path):
    monkeypatch.setenv("SUBSIDY_ENV", "production")
    monkeypatch.delenv("SUBSIDY_TRUSTED_HOSTS", raising=False)
    with pytest.raises(ValueError, match="SUBSIDY_TRUSTED_HOSTS is required in production"):
        build_config(tmp_path, {"SECRET_KEY": "x"})
    monkeypatch.setenv("SUBSIDY_TRUSTED_HOSTS", " subsidy.example.kz, .akimat.kz ")
    settings = build_config(tmp_path, {"SECRET_KEY": "x"})
    assert settings["TRUSTED_HOSTS"] == ["subsidy.example.kz", ".akimat.kz"]


@pytest.mark.parametrize("value", ["", " , ", "https://subsidy.example.kz", "a b", "ä.kz", "x:80"])
def test_an_unreadable_trusted_hosts_setting_stops_the_app(monkeypatch, tmp_path, value):
    monkeypatch.setenv("SUBSIDY_TRUSTED_HOSTS", value)
    with pytest.raises(ValueError, match="SUBSIDY_TRUSTED_HOSTS"):
        build_config(tmp_path, {"SECRET_KEY": "x"})


def test_the_setting_reaches_the_app_and_a_foreign_host_is_never_redirected_to(
    monkeypatch, backend, migrated_app, tmp_path
):
    from tests.conftest import IsolatedClient, make_app

    monkeypatch.setenv("SUBSIDY_TRUSTED_HOSTS", "subsidy.test")
    app = make_app(migrated_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    app.test_client_class = IsolatedClient
    client = app.test_client()
    try:
        evil = client.get("//static//style.css", headers={"Host": "evil.example"})
        assert evil.status_code == 400, evil.headers.get("Location")
        assert "Location" not in evil.headers
        assert client.get("/api/v1/programs", headers={"Host": "evil.example"}).status_code == 400
        ours = client.get("/api/v1/programs", headers={"Host": "subsidy.test"})
        assert ours.status_code == 200
    finally:
        with app.app_context():
            from subsidy.extensions import db

            db.engine.dispose()
