"""Database foundations: the declarative base, column types and per-connection settings.

Every model derives from :class:`Base`; constraint names follow one convention so that
migrations written by hand and by autogenerate agree on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, scoped_session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CENT = Decimal("0.01")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite has no time zones and hands back naive values; PostgreSQL keeps the offset. Refusing
    naive input keeps a local time from ever being stored as if it were UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def string_enum(enum_class: type, name: str, length: int = 16) -> sa.Enum:
    """An Enum stored as its string values with a CHECK constraint (portable, readable in SQL)."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


def quantize_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# SQLite has no decimal type: a NUMERIC column keeps 15 significant digits (a double), whatever
# is bound. Values are therefore limited to 15 significant digits at the edges (schemas and
# parsers) and read back through repr(), which gives exactly those digits again.
SIGNIFICANT_DIGITS = 15


def significant_digits(value: Decimal) -> int:
    return len(value.normalize().as_tuple().digits)


class ExactNumeric(sa.TypeDecorator):
    """A Decimal column that returns exactly what was stored on SQLite and PostgreSQL alike."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = 4):
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.scale = scale

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            # Our own conversion below; SQLAlchemy's would format the double with `scale`
            # places and show its binary noise (9999999999999.99 -> ...9902).
            return dialect.type_descriptor(
                sa.Numeric(self.impl.precision, self.scale, asdecimal=False)
            )
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("decimal columns take Decimal, not float")
        value = Decimal(value)
        if dialect.name == "sqlite":
            if significant_digits(value) > SIGNIFICANT_DIGITS:
                raise ValueError(f"{value} has more than {SIGNIFICANT_DIGITS} significant digits")
            return float(value)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            value = Decimal(repr(value))
        return Decimal(value).quantize(Decimal(1).scaleb(-self.scale))


class Money(ExactNumeric):
    """KZT with two decimal places, as ``Decimal``; floats are refused outright."""

    cache_ok = True

    def __init__(self):
        super().__init__(18, 2)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, not float")
        return super().process_bind_param(quantize_money(Decimal(value)), dialect)

    def process_result_value(self, value, dialect):
        value = super().process_result_value(value, dialect)
        return None if value is None else quantize_money(value)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # SQLAlchemy emits BEGIN itself (see _begin_immediate), so the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_immediate(conn) -> None:
    # A deferred SQLite transaction that read first cannot later be upgraded to a writer if
    # another writer committed meanwhile; taking the write lock at BEGIN serialises writers
    # (the audit log's gap-free index depends on it) and lets busy_timeout do the waiting.
    if conn.dialect.name == "sqlite":
        # Long reads (verifying or exporting the log) ask for a deferred transaction instead:
        # in WAL mode it reads a snapshot without holding the write lock.
        read_only = conn.get_execution_options().get("sqlite_read_only")
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


READ_ONLY = {"sqlite_read_only": True}


def begin_read_only(session) -> None:
    """Start the session's transaction as a long read (see _begin_immediate). A session that is
    already in a transaction, or bound to an outer connection (tests), is left as it is."""
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction() or isinstance(session.bind, sa.engine.Connection):
        return
    session.connection(execution_options=READ_ONLY)


def lock_name(session, space: int, name: str) -> None:
    """A transaction-scoped lock on ``name`` within ``space`` (a 32-bit number of its own per
    kind of lock) on PostgreSQL: two-key advisory locks never meet the one-key ones (the log's,
    the registry kinds'). A hash collision only makes two names wait for each other. SQLite has
    one writer at a time: nothing to take."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        sa.text("SELECT pg_advisory_xact_lock(:space, hashtext(:name))"),
        {"space": space, "name": name},
    )
