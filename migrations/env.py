"""Alembic environment for Flask-Migrate. Revisions are numbered (0001, 0002, ...) and reviewed
by hand; SQLite gets batch mode so that ALTERs work there too."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from subsidy.db_roles import migration_engine

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def run_migrations_online() -> None:
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    def run(connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_db.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            process_revision_directives=process_revision_directives,
        )
        sqlite = connection.dialect.name == "sqlite" and not connection.in_transaction()
        if sqlite:
            # A batch ALTER recreates a table on SQLite (copy, drop, rename); dropping a table
            # that other rows reference fails while foreign keys are enforced. SQLite's own
            # procedure: enforcement off around the change (outside a transaction, on the driver
            # connection), then every reference checked before it is on again.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
            if sqlite and connection.in_transaction():
                connection.commit()  # SQLite's DDL is not run in alembic's own transaction
        finally:
            if sqlite:
                if connection.in_transaction():
                    connection.rollback()
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")

    given = config.attributes.get("connection")
    if given is not None:
        run(given)
        return
    # As the owner of the schema (SUBSIDY_MIGRATE_DATABASE_URL) when it is not the app's role.
    with migration_engine() as engine, engine.connect() as connection:
        run(connection)


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `subsidy db upgrade`")
run_migrations_online()
