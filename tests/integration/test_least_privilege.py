"""The application's PostgreSQL role may only read and append to the log and the other evidence
tables: rewriting them is refused by privileges, not only by triggers (which the owner can
disable), and the whole workflow still runs as that role."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from subsidy.db_roles import APPEND_ONLY_TABLES
from subsidy.extensions import db
from tests.conftest import database_url_for, make_app, migrate
from tests.factories import bearer, make_applicant, make_program, make_user, registry

INSUFFICIENT_PRIVILEGE = "42501"
# A column of each evidence table to "update" to itself.
SOME_COLUMN = {
    "audit_entries": "actor",
    "audit_nodes": "hash",
    "audit_checkpoints": "key_id",
    "audit_checkpoint_notes": "signature",
    "audit_cosignatures": "signature",
    "program_versions": "definition",
    "decision_documents": "content",
    "payment_tranches": "amount",
    "payment_status_reports": "sha256",
    "recovery_repayments": "amount",
}


@dataclass
class Roles:
    owner: str
    owner_url: str
    app_role: str
    app_url: str


@pytest.fixture
def roles(backend, tmp_path):
    """A fresh database owned by a fresh owner role, and a fresh login role for the app."""
    if backend == "sqlite":
        pytest.skip("database roles and privileges exist only on PostgreSQL")
    base = sa.engine.make_url(database_url_for(backend, tmp_path))
    suffix = uuid.uuid4().hex[:10]
    owner, app_role, name = (f"subsidy_owner_{suffix}", f"subsidy_app_{suffix}", f"lp_{suffix}")
    passwords = {owner: secrets.token_hex(16), app_role: secrets.token_hex(16)}
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")

    def url(role: str) -> str:
        return base.set(username=role, password=passwords[role], database=name).render_as_string(
            hide_password=False
        )

    try:
        with admin.connect() as conn:
            for role, password in passwords.items():
                conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
            conn.exec_driver_sql(f"CREATE DATABASE {name} OWNER {owner}")
        yield Roles(owner, url(owner), app_role, url(app_role))
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            for role in passwords:
                conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        admin.dispose()


@pytest.fixture
def restricted_app(roles, tmp_path):
    """Migrated as the owner, granted, and running as the app role."""
    app = make_app(roles.app_url, tmp_path, MIGRATE_DATABASE_URI=roles.owner_url)
    migrate(app)  # would fail as the app role: it may not create tables
    runner = app.test_cli_runner()
    for _ in range(2):  # idempotent
        result = runner.invoke(args=["db", "grant-app-role", roles.app_role])
        assert result.exit_code == 0, result.output
        assert (
            "SELECT and INSERT only on audit_checkpoint_notes, audit_checkpoints, "
            "audit_cosignatures, audit_entries" in result.output
        )
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _sqlstate(engine: sa.Engine, statement: str) -> str | None:
    with engine.connect() as conn:
        try:
            conn.exec_driver_sql(statement)
        except sa.exc.DBAPIError as error:
            return error.orig.sqlstate
        finally:
            conn.rollback()
    return None


def _fill_the_evidence_tables(app) -> None:
    """At least one row in every evidence table, written as the app role."""
    with app.app_context():
        official = make_user("official")
        farm = make_applicant()
        make_program()
        registry(livestock=[(farm.iin_bin, "cattle", 20, 20)])
        headers = bearer(official)
        body = {"program": "TEST-HEADS-2026", "applicant": farm.iin_bin, "quantity": "10"}
        db.session.commit()
    client = app.test_client()
    created = client.post("/api/v1/applications", json=body, headers=headers)
    assert created.status_code == 201, created.json
    approved = client.post(
        f"/api/v1/applications/{created.json['id']}/approve", json={}, headers=headers
    )
    assert approved.status_code == 200, approved.json
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        # The money's evidence: a tranche and a bank's report (the recovered application's
        # payment), a repayment; a witness's cosignature of a published checkpoint.
        from decimal import Decimal

        from subsidy.audit.publish import publish
        from subsidy.audit.signing import log_verifier
        from subsidy.obligations.services import record_repayment
        from tests.http._obligations import recovery_case
        from tests.spec_witness import SpecWitness, posting

        _, case = recovery_case(make_applicant("peasant_farm"))
        record_repayment(
            case_id=case["id"],
            amount=Decimal("1.00"),
            paid_on=date(2026, 6, 15),
            user=make_user("treasurer"),
        )
        db.session.commit()
        witness = SpecWitness("witness.example/w", log_verifier())
        app.config["WITNESSES"], app.config["WITNESS_QUORUM"] = (witness.config(),), 1
        try:
            assert publish(post=posting([witness])).ok
        finally:
            app.config["WITNESSES"], app.config["WITNESS_QUORUM"] = (), 0


def test_the_migrations_ran_as_the_owner_and_the_evidence_tables_are_its_own(restricted_app, roles):
    owner = sa.create_engine(roles.owner_url, poolclass=sa.pool.NullPool)
    with owner.connect() as conn:
        owners = dict(
            conn.exec_driver_sql(
                "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'"
            ).all()
        )
        # Every table whose rows a trigger refuses to change is listed as append-only.
        guarded = set(
            conn.exec_driver_sql(
                "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger t "
                "JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'audit_refuse_change'"
            ).scalars()
        )
    owner.dispose()
    assert set(owners.values()) == {roles.owner}
    assert set(APPEND_ONLY_TABLES) <= owners.keys()
    assert guarded == set(APPEND_ONLY_TABLES)


def test_the_app_role_cannot_update_delete_or_truncate_the_log_even_with_triggers_disabled(
    restricted_app, roles
):
    _fill_the_evidence_tables(restricted_app)
    app_engine = sa.create_engine(roles.app_url, poolclass=sa.pool.NullPool)
    owner_engine = sa.create_engine(roles.owner_url, poolclass=sa.pool.NullPool)
    try:
        # Nor can the role switch the guards off itself.
        assert _sqlstate(app_engine, "SET session_replication_role = replica") == (
            INSUFFICIENT_PRIVILEGE
        )
        for table in APPEND_ONLY_TABLES:
            assert _sqlstate(app_engine, f"ALTER TABLE {table} DISABLE TRIGGER USER") == (
                INSUFFICIENT_PRIVILEGE
            )
        # The owner can disable the triggers (docs/audit.md says so); privileges still refuse.
        with owner_engine.begin() as conn:
            for table in APPEND_ONLY_TABLES:
                conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        assert _sqlstate(owner_engine, "UPDATE audit_entries SET actor = actor") is None
        for table in APPEND_ONLY_TABLES:
            column = SOME_COLUMN[table]
            with app_engine.connect() as conn:
                count = conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
            assert count > 0, table
            for statement in (
                f"UPDATE {table} SET {column} = {column}",
                f"DELETE FROM {table}",
                f"TRUNCATE {table}",
            ):
                assert _sqlstate(app_engine, statement) == INSUFFICIENT_PRIVILEGE, statement
        # Sequences: nextval for inserts, but no setval to reuse an id.
        assert (
            _sqlstate(
                app_engine,
                "SELECT setval(pg_get_serial_sequence('decision_documents', 'id'), 1)",
            )
            == INSUFFICIENT_PRIVILEGE
        )
    finally:
        app_engine.dispose()
        owner_engine.dispose()


def test_the_whole_workflow_runs_as_the_app_role_and_the_log_verifies(restricted_app, roles):
    with restricted_app.app_context():
        assert db.session.execute(sa.text("SELECT current_user")).scalar_one() == roles.app_role
        db.session.rollback()
    _fill_the_evidence_tables(restricted_app)
    runner = restricted_app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK ")
    with restricted_app.app_context():
        actions = set(
            db.session.execute(sa.text("SELECT action FROM audit_entries")).scalars().all()
        )
        checkpoints = db.session.execute(
            sa.text("SELECT count(*) FROM audit_checkpoints")
        ).scalar_one()
    assert {"application_submitted", "application_evaluated", "application_approved"} <= actions
    assert "document_issued" in actions
    assert checkpoints >= 1


def test_grant_app_role_refuses_roles_it_cannot_restrict(runner, backend):
    if backend == "sqlite":
        result = runner.invoke(args=["db", "grant-app-role", "anyone"])
        assert result.exit_code == 2
        assert "needs PostgreSQL" in result.output
        return
    missing = f"no_such_role_{uuid.uuid4().hex[:8]}"
    result = runner.invoke(args=["db", "grant-app-role", missing])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    with runner.app.app_context():
        superuser = db.session.execute(
            sa.text("SELECT rolname FROM pg_roles WHERE rolsuper LIMIT 1")
        ).scalar_one()
    result = runner.invoke(args=["db", "grant-app-role", superuser])
    assert result.exit_code == 2
    assert "superuser" in result.output


def test_an_owner_url_from_the_environment_never_migrates_another_database(monkeypatch, tmp_path):
    from subsidy.config import build_config

    monkeypatch.setenv("SUBSIDY_MIGRATE_DATABASE_URL", "postgresql+psycopg://owner@db/prod")
    monkeypatch.delenv("SUBSIDY_DATABASE_URL", raising=False)
    assert build_config(tmp_path)["MIGRATE_DATABASE_URI"] == "postgresql+psycopg://owner@db/prod"
    # An app given its own database (the tests) migrates that database, not the owner's.
    overridden = build_config(tmp_path, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert overridden["MIGRATE_DATABASE_URI"] is None
