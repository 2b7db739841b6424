"""The schema is built by the migrations; the models must describe exactly that schema."""

from pathlib import Path

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
