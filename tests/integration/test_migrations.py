"""The schema is built by the migrations; the models must describe exactly that schema."""

from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from subsidy.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def test_models_and_migrations_agree(app):
    connection = db.session.connection()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_have_one_head_and_numbered_revisions():
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    assert len(scripts.get_heads()) == 1
    for revision in scripts.walk_revisions():
        assert revision.revision.isdigit() and len(revision.revision) == 4
        assert Path(revision.path).name.startswith(revision.revision + "_")


def test_districts_are_loaded_by_the_migration(app):
    from subsidy.districts.queries import all_districts

    names = {district.name_kk for district in all_districts()}
    assert len(names) >= 9
    assert "Өскемен қаласы" in names


def _fill(table: sa.Table, **given) -> dict:
    """A row for ``table`` with every required column set (plain values by type) and ``given``."""
    values = {}
    for column in table.columns:
        if column.name in given or column.nullable or column.primary_key:
            continue
        kind = column.type
        if isinstance(kind, sa.Boolean):
            values[column.name] = True
        elif isinstance(kind, sa.Integer | sa.Numeric):
            values[column.name] = 1
        elif isinstance(kind, sa.DateTime):
            values[column.name] = datetime(2026, 6, 15, 9, 0)
        elif isinstance(kind, sa.Date):
            values[column.name] = date(2026, 6, 15)
        else:
            values[column.name] = "x"
    return {**values, **given}


def test_upgrading_a_populated_database_keeps_every_row(backend, tmp_path):
    """0005 -> head on a database with rows in the tables the upgrade rebuilds (SQLite copies a
    table to alter it, which must not trip the rows that reference it) and the claims it
    backfills: each program its own funding group, the period the application's year."""
    from flask_migrate import upgrade

    from tests.conftest import database_of_its_own, make_app

    # A database of its own: the suite's shared one is migrated to head and in use.
    with database_of_its_own(backend, tmp_path) as url:
        _upgrade_with_rows(make_app(url, tmp_path), backend, upgrade)


def _upgrade_with_rows(app, backend, upgrade) -> None:
    with app.app_context():
        upgrade(revision="0005")
        engine = db.engine
        meta = sa.MetaData()
        meta.reflect(engine)
        t = meta.tables
        with engine.begin() as conn:
            district = conn.execute(sa.select(t["districts"].c.code).limit(1)).scalar_one()
            conn.execute(t["programs"].insert(), _fill(t["programs"], id=1, code="OLD-2025"))
            conn.execute(
                t["program_versions"].insert(),
                _fill(t["program_versions"], id=1, program_id=1, version=1, unit="head"),
            )
            conn.execute(
                t["applicants"].insert(),
                _fill(
                    t["applicants"],
                    id=1,
                    iin_bin="880101300018",
                    kind="peasant_farm",
                    district_code=district,
                ),
            )
            conn.execute(t["users"].insert(), _fill(t["users"], id=1, role="official"))
            conn.execute(
                t["applications"].insert(),
                _fill(
                    t["applications"],
                    id=1,
                    program_id=1,
                    program_version_id=1,
                    applicant_id=1,
                    submitted_by_id=1,
                    status="submitted",
                    submitted_on=date(2025, 3, 1),
                ),
            )
            conn.execute(
                t["application_claims"].insert(),
                {"application_id": 1, "claim_key": "parcel:05-068-012-345", "program_id": 1},
            )
            conn.execute(
                t["registry_snapshots"].insert(),
                _fill(t["registry_snapshots"], id=1, kind="livestock"),
            )
            conn.execute(
                t["registry_livestock"].insert(),
                _fill(
                    t["registry_livestock"],
                    snapshot_id=1,
                    iin_bin="880101300018",
                    species="cattle",
                    heads=5,
                    identified_heads=5,
                ),
            )
        upgrade()
        with engine.connect() as conn:
            claims = conn.execute(
                sa.text("SELECT claim_key, funding_group, period FROM application_claims")
            ).all()
            assert [tuple(row) for row in claims] == [("parcel:05-068-012-345", "OLD-2025", "2025")]
            assert conn.execute(sa.text("SELECT count(*) FROM registry_livestock")).scalar() == 1
            if backend == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        db.session.remove()
        db.engine.dispose()
