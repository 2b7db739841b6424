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

from subsidy.audit.actions import Action
from subsidy.audit.services import append_entry
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


def _refusal(engine: sa.Engine, statement: str) -> tuple[str, str] | None:
    """(SQLSTATE, message) of the error the statement raises, if any; rolled back either way."""
    with engine.connect() as conn:
        try:
            conn.exec_driver_sql(statement)
        except sa.exc.DBAPIError as error:
            return error.orig.sqlstate, str(error.orig)
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


INTEGRITY_CONSTRAINT_VIOLATION = "23000"


def test_the_app_role_may_append_but_the_guards_refuse_what_does_not_belong(restricted_app, roles):
    """INSERT is granted on the log's tables, so the insert guards (0009) are what stop a forged
    subtree hash, a checkpoint larger than the log or of another root, and an entry whose
    columns are not its hashed entry's; the role cannot switch them off (see above)."""
    _fill_the_evidence_tables(restricted_app)
    with restricted_app.app_context():  # an entry after the latest checkpoint
        append_entry(actor="cli", action=Action.LOGIN_FAILED, subject="user:unknown")
        db.session.commit()
    app_engine = sa.create_engine(roles.app_url, poolclass=sa.pool.NullPool)
    try:
        with app_engine.connect() as conn:
            size = conn.exec_driver_sql("SELECT count(*) FROM audit_entries").scalar_one()
            [(root, timestamp, key_id, signature)] = conn.exec_driver_sql(
                "SELECT root_hash, timestamp, key_id, signature FROM audit_checkpoints "
                "ORDER BY tree_size DESC LIMIT 1"
            ).all()
            [(leaf, created)] = conn.exec_driver_sql(
                f"SELECT leaf_hash, created_at FROM audit_entries WHERE entry_index = {size - 1}"
            ).all()
            for table in ("audit_entries", "audit_nodes", "audit_checkpoints"):
                assert conn.exec_driver_sql(
                    f"SELECT has_table_privilege(current_user, '{table}', 'INSERT')"
                ).scalar_one(), table
        zeros = "'\\x" + "00" * 32 + "'"
        checkpoint = f"'{timestamp}', '{key_id}', '\\x{bytes(signature).hex()}'"
        canonical = (
            '{"action":"login_failed","actor":"cli","data":{},'
            f'"index":{size},"subject":"user:1","timestamp":"{created.isoformat()}"}}'
        )
        entry = (
            "INSERT INTO audit_entries VALUES "
            f"({size}, '{created.isoformat()}', 'cli', 'login_succeeded', 'user:1', "
            f"convert_to('{canonical}', 'UTF8'), "
            f"sha256('\\x00'::bytea || convert_to('{canonical}', 'UTF8')))"
        )
        # Each forgery, and the guard's message that refuses it.
        forgeries = [
            # A leaf beyond the log, and a copy of the last leaf there.
            (f"INSERT INTO audit_nodes VALUES (0, {size}, {zeros})", "audit_nodes: leaf"),
            (
                f"INSERT INTO audit_nodes VALUES (0, {size}, '\\x{bytes(leaf).hex()}')",
                "audit_nodes: leaf",
            ),
            # A subtree over leaves that are not all there, and a root over all of them.
            (f"INSERT INTO audit_nodes VALUES (1, {size // 2}, {zeros})", "the children"),
            (f"INSERT INTO audit_nodes VALUES ({size.bit_length()}, 0, {zeros})", "the children"),
            (
                "INSERT INTO audit_checkpoints VALUES "
                f"({size + 1}, '\\x{bytes(root).hex()}', {checkpoint})",
                f"audit_checkpoints: tree size {size + 1} is not within the log",
            ),
            (
                f"INSERT INTO audit_checkpoints VALUES ({size}, {zeros}, {checkpoint})",
                f"audit_checkpoints: the root at tree size {size} is not the log's",
            ),
            (entry, f"audit_entries: index {size} states another action"),
        ]
        for statement, said in forgeries:
            refused = _refusal(app_engine, statement)
            assert refused is not None, statement
            assert refused[0] == INTEGRITY_CONSTRAINT_VIOLATION, refused
            assert said in refused[1], refused
        # The same entry with the action it hashes is let in (and rolled back).
        assert _refusal(app_engine, entry.replace("'login_succeeded'", "'login_failed'")) is None
    finally:
        app_engine.dispose()


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
