"""Test harness: every database test runs on SQLite and, when SUBSIDY_TEST_POSTGRES_URL is set,
on PostgreSQL. The schema is built by running the migrations; each test runs inside an outer
transaction that is rolled back, services' commits becoming savepoints."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from subsidy.extensions import Session, db

POSTGRES_URL = os.environ.get("SUBSIDY_TEST_POSTGRES_URL")


def _cheap_password_hashing() -> None:
    """Argon2 at production cost takes ~50 ms a hash; tests create hundreds of users."""
    from argon2 import PasswordHasher

    from subsidy.accounts import passwords

    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("not-a-real-password")


_cheap_password_hashing()
BACKENDS = ["sqlite", "postgresql"]
PAIN001_XSD = Path(__file__).parent / "data" / "iso20022" / "pain.001.001.09.xsd"


def _validate_every_payment_document() -> None:
    """Every pain.001 any test makes (a release through the API, a page, the CLI, the demo) is
    validated against ISO's schema as it is rendered: an invalid one fails that test."""
    from lxml import etree

    from subsidy.payments import iso20022

    schema = etree.XMLSchema(etree.parse(str(PAIN001_XSD)))
    render = iso20022.render_pain001

    def render_and_validate(document):
        data = render(document)
        parsed = etree.fromstring(data)
        if not schema.validate(parsed):
            raise AssertionError(f"pain.001 invalid against ISO's schema: {schema.error_log}")
        return data

    iso20022.render_pain001 = render_and_validate


_validate_every_payment_document()


def make_app(database_url: str, instance_path, **overrides):
    from subsidy import create_app

    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": instance_path,
        "SIGNING_KEY_PATH": str(instance_path / "signing_key.pem"),
        "SECRET_KEY": "test-secret",
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": True,
        "PUBLIC_URL": "http://subsidy.test",
        # A fixed "today" inside the test programs' windows, so dated rules are deterministic.
        "TODAY": "2026-06-15",
    }
    config.update(overrides)
    return create_app(config)


def reset_postgres(url: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def migrate(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def database_url_for(backend: str, folder) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'test.db'}"
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL: SUBSIDY_TEST_POSTGRES_URL is not set")
    return POSTGRES_URL


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def migrated_app(backend, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"instance-{backend}")
    url = database_url_for(backend, folder)
    if backend == "postgresql":
        reset_postgres(url)
    app = make_app(url, folder)
    migrate(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(migrated_app):
    """The app with every session pinned to one connection whose transaction is rolled back."""
    with migrated_app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": Session}
        )
        try:
            yield migrated_app
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


class IsolatedClient(FlaskClient):
    """Each request gets an app context (and so a session and ``g``) of its own, as in
    production; without this it would reuse the test's context and share its session."""

    def open(self, *args, **kwargs):
        # Pages answer in the browser's language; tests read the English texts.
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Accept-Language", "en")
        with self.application.app_context():
            return super().open(*args, headers=headers, **kwargs)


class IsolatedRunner(FlaskCliRunner):
    def invoke(self, *args, **kwargs):
        with self.app.app_context():
            return super().invoke(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return IsolatedRunner(app)


@pytest.fixture
def session(app):
    return db.session


# --- per-database counts in the summary (.ci/run reads the PostgreSQL line) -------------------

_BACKEND_OF: dict[str, str] = {}


def pytest_collection_modifyitems(items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec and "backend" in callspec.params:
            _BACKEND_OF[item.nodeid] = callspec.params["backend"]


def pytest_terminal_summary(terminalreporter):
    counts: dict[str, Counter] = {backend: Counter() for backend in BACKENDS}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            backend = _BACKEND_OF.get(getattr(report, "nodeid", ""))
            if backend and (report.when == "call" or outcome in ("skipped", "error")):
                counts[backend][outcome] += 1
    terminalreporter.section("tests per database")
    for backend in BACKENDS:
        c = counts[backend]
        terminalreporter.write_line(
            f"database {backend}: {c['passed']} passed, {c['failed']} failed, "
            f"{c['skipped']} skipped, {c['error']} errors"
        )


@contextlib.contextmanager
def database_of_its_own(backend: str, tmp_path):
    """The URL of a new, empty database, dropped afterwards (a file on SQLite)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / f'own-{uuid.uuid4().hex[:8]}.db'}"
        return
    base = sa.engine.make_url(database_url_for(backend, tmp_path))
    name = f"subsidy_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def committed_app(backend, tmp_path):
    """An app on a database of its own whose commits are real: for concurrency and crash tests."""
    with database_of_its_own(backend, tmp_path) as url:
        app = make_app(url, tmp_path)
        migrate(app)
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
