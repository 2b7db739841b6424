"""Alembic's comparison of models and migrations looks at an index's columns only; these check
what it leaves out, the partial indexes' INCLUDE columns and WHERE clauses, as the database
holds them."""

import re

import sqlalchemy as sa

from subsidy.applications.models import Application
from subsidy.extensions import db
from subsidy.payments.models import Payment


def _partial_indexes():
    for index in [*Application.__table__.indexes, *Payment.__table__.indexes]:
        options = index.dialect_options
        if options["postgresql"].get("where") is not None:
            yield index, options


def test_the_partial_indexes_are_in_the_database_as_the_model_declares(app):
    dialect = db.engine.dialect.name
    checked = 0
    for index, options in _partial_indexes():
        columns = [column.name for column in index.columns]
        if dialect == "postgresql":
            definition = db.session.execute(
                sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
                {"name": index.name},
            ).scalar_one()
            assert f"({', '.join(columns)})" in definition
            include = options["postgresql"].get("include") or []
            if include:
                assert f"INCLUDE ({', '.join(include)})" in definition
            else:
                assert "INCLUDE" not in definition
            where = str(options["postgresql"]["where"])
        else:
            definition = db.session.execute(
                sa.text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"),
                {"name": index.name},
            ).scalar_one()
            assert f"({', '.join(columns)})" in definition
            where = str(options["sqlite"]["where"])
        single = re.fullmatch(r"(\w+) = ('\w+')", where)
        if single:
            column, values = single.group(1), [single.group(2)]
        else:  # status IN ('approved', 'paid'): PostgreSQL writes it as = ANY (ARRAY[...])
            column, listed = re.fullmatch(r"(\w+) IN \(([^)]*)\)", where).groups()
            values = [value.strip() for value in listed.split(",")]
        condition = definition.split("WHERE", 1)[1]
        assert column in condition, (index.name, definition)
        assert all(value in condition for value in values), (index.name, definition)
        checked += 1
    assert checked == 4
