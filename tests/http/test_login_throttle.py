"""The login throttle (issue 19): failures counted per account in a storage every worker shares,
so that 30 wrong token requests spread over two gunicorn workers get no more through than the
limit; the owner of an account under attack still signs in from a device that did before; the
login page answers 429 with Retry-After, in the reader's language."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask_migrate import upgrade

from bench.servers import Server
from subsidy.extensions import db
from tests.conftest import make_app, reset_postgres
from tests.factories import PASSWORD, make_user

ATTEMPTS = 30
FREE = 5  # Config.LOGIN_FREE_FAILURES


def _post(port: int, path: str, body: dict, cookie: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Connection": "close"}
    if cookie:
        headers["Cookie"] = cookie
    try:
        connection.request("POST", path, body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _postgres_database(tmp_path):
    """A database of this test's own beside the suite's (the server commits for real)."""
    base = os.environ.get("SUBSIDY_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("PostgreSQL: SUBSIDY_TEST_POSTGRES_URL is not set")
    import sqlalchemy as sa

    url = sa.make_url(base)
    name = f"{url.database}_throttle"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False), admin, name


@pytest.mark.parametrize("storage", ["sqlite", "postgresql", "redis"])
def test_thirty_wrong_token_requests_over_two_workers_get_no_more_through_than_the_limit(
    tmp_path, storage
):
    admin = None
    if storage == "postgresql":
        url, admin, name = _postgres_database(tmp_path)
        reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path / 'live.db'}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("SUBSIDY_")}
    env |= {
        "SUBSIDY_DATABASE_URL": url,
        "SUBSIDY_INSTANCE_PATH": str(tmp_path),
        "SUBSIDY_SECRET_KEY": "live-throttle-test",
        # Each request's worker in the log, to see that both took part.
        "GUNICORN_CMD_ARGS": "--access-logfile - --access-logformat 'worker=%(p)s %(s)s'",
    }
    if storage == "redis":
        if not _redis_up():
            pytest.skip("no Redis at 127.0.0.1:6379")
        import redis

        redis.Redis(db=15).flushdb()
        env["SUBSIDY_RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/15"
    app = make_app(url, tmp_path)
    with app.app_context():
        upgrade()
        make_user("official", username="target")
        db.session.commit()
        db.engine.dispose()

    log = tmp_path / "gunicorn.log"
    try:
        with Server("subsidy:create_app()", env, log) as server:
            # The owner signed in before, from the client that keeps its device cookie.
            status, headers, _ = _post(
                server.port, "/api/v1/auth/token", {"username": "target", "password": PASSWORD}
            )
            assert status == 200
            device = headers.get("Set-Cookie", "").split(";")[0]

            wrong = {"username": "target", "password": "guess-guess"}
            with ThreadPoolExecutor(max_workers=6) as pool:
                answers = list(
                    pool.map(
                        lambda _: _post(server.port, "/api/v1/auth/token", wrong),
                        range(ATTEMPTS),
                    )
                )
            statuses = Counter(status for status, _, _ in answers)
            assert statuses == {401: FREE, 429: ATTEMPTS - FREE}, statuses
            refused = [headers for status, headers, _ in answers if status == 429]
            waits = [int(h.get("Retry-After", 0)) for h in refused]
            assert all(1 <= w <= 30 for w in waits), waits

            # Right password, no device cookie: refused unchecked while the account waits.
            right = {"username": "target", "password": PASSWORD}
            assert _post(server.port, "/api/v1/auth/token", right)[0] == 429
            # The owner's device is not locked out by someone else's guesses.
            assert device.startswith("subsidy_device=")
            assert _post(server.port, "/api/v1/auth/token", right, cookie=device)[0] == 200
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()

    workers = Counter(re.findall(r"worker=<?(\d+)>? (?:401|429)", log.read_text()))
    assert len(workers) == 2, f"one worker took every attempt: {log.read_text()[-1500:]}"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_login_page_says_how_long_to_wait_in_the_readers_language(client, lang):
    make_user("official", username="aidos")
    headers = {"Accept-Language": lang}
    statuses = []
    for _ in range(FREE + 1):
        page = client.get("/login", headers=headers)
        form = {"username": "aidos", "password": "not it at all", "csrf_token": _csrf(page.text)}
        answer = client.post("/login", data=form, headers=headers)
        statuses.append(answer.status_code)
    assert statuses == [401] * FREE + [429]
    assert answer.headers["Retry-After"] == "30"
    expected = {"kk": "1 мин. кейін", "ru": "Повторите через 1 мин."}[lang]
    assert expected in answer.text, answer.text
    assert "Too many" not in answer.text


def test_when_the_throttles_redis_is_down_sign_in_answers_503_and_checks_nothing(tmp_path):
    """Fail closed: an attempt the throttle cannot count is not checked (nor logged)."""
    from subsidy.audit.models import AuditEntry
    from tests.conftest import migrate

    app = make_app(
        f"sqlite:///{tmp_path / 'down.db'}",
        tmp_path,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",  # nothing listens there
    )
    migrate(app)
    with app.app_context():
        make_user("official", username="target")
        db.session.commit()
    client = app.test_client()
    answer = client.post("/api/v1/auth/token", json={"username": "target", "password": PASSWORD})
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert answer.json["code"] == "unavailable"
    page = client.get("/login", headers={"Accept-Language": "ru"})
    form = {"username": "target", "password": PASSWORD, "csrf_token": _csrf(page.text)}
    refused = client.post("/login", data=form, headers={"Accept-Language": "ru"})
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    with app.app_context():
        assert db.session.query(AuditEntry).filter_by(action="login_succeeded").count() == 0
        db.session.remove()
        db.engine.dispose()


def test_a_device_that_signed_in_before_is_not_locked_out_by_someone_elses_guesses(app, client):
    make_user("official", username="aidos")
    make_user("official", username="other")
    right = {"username": "aidos", "password": PASSWORD}
    assert client.post("/api/v1/auth/token", json=right).status_code == 200
    device = client.get_cookie("subsidy_device")
    assert device is not None and device.http_only

    attacker = app.test_client()
    wrong = {"username": "aidos", "password": "not it at all"}
    statuses = [attacker.post("/api/v1/auth/token", json=wrong).status_code for _ in range(7)]
    assert statuses == [401] * FREE + [429, 429]
    assert attacker.post("/api/v1/auth/token", json=right).status_code == 429
    assert client.post("/api/v1/auth/token", json=right).status_code == 200

    # A device cookie of another account, or a forged one, is no pass.
    borrowed = app.test_client()
    assert (
        borrowed.post(
            "/api/v1/auth/token", json={"username": "other", "password": PASSWORD}
        ).status_code
        == 200
    )
    assert borrowed.post("/api/v1/auth/token", json=right).status_code == 429
    forged = app.test_client()
    forged.set_cookie("subsidy_device", device.value[:-2] + "xx")
    assert forged.post("/api/v1/auth/token", json=right).status_code == 429


def test_a_devices_own_failures_are_throttled_too(app, client):
    make_user("official", username="aidos")
    right = {"username": "aidos", "password": PASSWORD}
    assert client.post("/api/v1/auth/token", json=right).status_code == 200
    wrong = {"username": "aidos", "password": "not it at all"}
    statuses = [client.post("/api/v1/auth/token", json=wrong).status_code for _ in range(6)]
    assert statuses == [401] * FREE + [429]
    # ...and they are the device's: the account is not locked for another client.
    assert app.test_client().post("/api/v1/auth/token", json=right).status_code == 200
