"""Database roles: migrations run as the owner of the schema, the application as a role that may
only read and append to the evidence tables (the transparency log, program versions, decision
documents). See docs/operations.md, "Database roles and least privilege"."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

# Never updated or deleted by the service (their triggers refuse it too): the app role gets
# SELECT and INSERT only. A new table of this kind must be added here.
APPEND_ONLY_TABLES = (
    "audit_entries",
    "audit_nodes",
    "audit_checkpoints",
    "audit_checkpoint_notes",
    "audit_cosignatures",
    "program_versions",
    "decision_documents",
    "payment_tranches",
    "payment_status_reports",
    "recovery_repayments",
)
# Read by the service, written only by migrations.
READ_ONLY_TABLES = ("alembic_version",)
READ_WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")
APPEND_ONLY = ("SELECT", "INSERT")
CHECKED = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


class GrantRefused(Exception):
    pass


def migration_url() -> str:
    """The owner's URL (SUBSIDY_MIGRATE_DATABASE_URL), or the application's when not set."""
    config = current_app.config
    return config.get("MIGRATE_DATABASE_URI") or config["SQLALCHEMY_DATABASE_URI"]


@contextlib.contextmanager
def migration_engine() -> Iterator[sa.Engine]:
    """The engine that migrations and grants run on: the app's own unless the owner's differs."""
    from subsidy.extensions import db

    url = migration_url()
    if url == current_app.config["SQLALCHEMY_DATABASE_URI"]:
        yield db.engine
        return
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def expected_privileges(tables: list[str]) -> dict[str, tuple[str, ...]]:
    """What the app role may do on each table of the schema."""
    expected = {}
    for table in tables:
        if table in APPEND_ONLY_TABLES:
            expected[table] = APPEND_ONLY
        elif table in READ_ONLY_TABLES:
            expected[table] = ("SELECT",)
        else:
            expected[table] = READ_WRITE
    return expected


def grant_statements(schema: str, role: str, owner: str, expected: dict, quote) -> list[str]:
    """Revoke everything the role holds in the schema, then grant exactly ``expected``: running
    it again gives the same privileges, and a stray grant made by hand is taken back."""
    s, r, o = quote(schema), quote(role), quote(owner)
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} REVOKE ALL ON TABLES FROM {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} REVOKE ALL ON SEQUENCES FROM {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
    ]
    by_privileges: dict[tuple[str, ...], list[str]] = {}
    for table, privileges in sorted(expected.items()):
        by_privileges.setdefault(privileges, []).append(f"{s}.{quote(table)}")
    for privileges, tables in by_privileges.items():
        statements.append(f"GRANT {', '.join(privileges)} ON TABLE {', '.join(tables)} TO {r}")
    statements += [
        # nextval() for serial ids; not UPDATE, which would allow setval().
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        # Tables a later migration creates start append-only: failing closed until this
        # command runs again is better than a new evidence table that can be rewritten.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} "
        f"GRANT SELECT, INSERT ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]
    return statements


def _one(connection, query: str, **params):
    return connection.execute(sa.text(query), params).scalar()


def _check_roles(connection, schema: str, role: str) -> str:
    """The owner of the migrated schema, after refusing roles that privileges cannot restrict."""
    found = connection.execute(
        sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).first()
    if found is None:
        raise GrantRefused(f"role {role!r} does not exist (CREATE ROLE ... LOGIN first)")
    if found.rolsuper:
        raise GrantRefused(f"role {role!r} is a superuser: privileges cannot restrict it")
    owner = _one(
        connection,
        "SELECT tableowner FROM pg_tables WHERE schemaname = :schema "
        "AND tablename = 'alembic_version'",
        schema=schema,
    )
    if owner is None:
        raise GrantRefused(f"schema {schema!r} is not migrated: run `subsidy db upgrade` first")
    if _one(connection, "SELECT pg_has_role(:role, :owner, 'MEMBER')", role=role, owner=owner):
        raise GrantRefused(
            f"role {role!r} is (or is a member of) the owner {owner!r}: it would own the tables"
        )
    if not _one(connection, "SELECT pg_has_role(current_user, :owner, 'USAGE')", owner=owner):
        raise GrantRefused(
            f"run this as the owner of the tables ({owner!r}): set SUBSIDY_MIGRATE_DATABASE_URL"
        )
    return owner


def _held_privileges(connection, schema: str, role: str, tables: list[str]) -> dict:
    quote = connection.dialect.identifier_preparer.quote
    held = {}
    for table in tables:
        found = set(
            connection.execute(
                sa.text(
                    "SELECT p FROM unnest(CAST(:checked AS text[])) AS p "
                    "WHERE has_table_privilege(:role, :name, p)"
                ),
                {"checked": list(CHECKED), "role": role, "name": f"{quote(schema)}.{quote(table)}"},
            ).scalars()
        )
        held[table] = tuple(privilege for privilege in CHECKED if privilege in found)
    return held


def grant_app_role(connection, role: str) -> dict[str, tuple[str, ...]]:
    """Give ``role`` exactly the application's privileges in the current schema and check the
    result; raises :class:`GrantRefused` (the caller rolls back) when the role would still hold
    more, through PUBLIC or another role's grants."""
    if connection.dialect.name != "postgresql":
        raise GrantRefused("grant-app-role needs PostgreSQL: SQLite has no roles")
    schema = _one(connection, "SELECT current_schema()")
    owner = _check_roles(connection, schema, role)
    tables = list(
        connection.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"),
            {"s": schema},
        ).scalars()
    )
    expected = expected_privileges(tables)
    quote = connection.dialect.identifier_preparer.quote
    for statement in grant_statements(schema, role, owner, expected, quote):
        connection.exec_driver_sql(statement)
    held = _held_privileges(connection, schema, role, tables)
    for table in tables:
        if held[table] != expected[table]:
            raise GrantRefused(
                f"{table}: role {role!r} holds {', '.join(held[table]) or 'nothing'}, expected "
                f"{', '.join(expected[table])} (a grant to PUBLIC or to a role it belongs to?)"
            )
    return expected


@click.command("grant-app-role")
@click.argument("role")
@with_appcontext
def grant_app_role_command(role: str) -> None:
    """Give ROLE the application's privileges: read-write on the ordinary tables, SELECT and
    INSERT only on the log and the other evidence tables. Run as the owner after every upgrade."""
    from subsidy.commands import Refused

    with migration_engine() as engine:
        if engine.dialect.name != "postgresql":
            raise Refused("grant-app-role needs PostgreSQL: SQLite has no roles")
        try:
            with engine.begin() as connection:
                granted = grant_app_role(connection, role)
        except GrantRefused as error:
            raise Refused(str(error)) from None
    append_only = sorted(t for t, p in granted.items() if p == APPEND_ONLY)
    click.echo(
        f"{role}: read-write on {sum(p == READ_WRITE for p in granted.values())} tables, "
        f"SELECT and INSERT only on {', '.join(append_only)}"
    )
