"""Where the login throttle keeps its counts: a storage every worker shares, never a worker's
memory. The database (table ``login_throttle``) for the embedded default; Redis when the rate
limit storage (``SUBSIDY_RATELIMIT_STORAGE_URI``) is a ``redis://`` URL, as in production.

Both change a set of keys atomically: read their counts, let a function decide, write what it
returned. In the database that happens in the request's own transaction with the rows locked
(PostgreSQL) or the database's write lock held (SQLite) until the request commits, so two
workers never decide on the same count; in Redis with WATCH/MULTI, retried on a conflict."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from flask import current_app
from werkzeug.exceptions import ServiceUnavailable

from subsidy.accounts.models import LoginThrottle
from subsidy.accounts.throttle import Count
from subsidy.db import utcnow
from subsidy.extensions import db

# What a change sees (the counts of its keys, None where there is none) and returns: the new
# counts (None deletes), or None to write nothing.
Change = Callable[[list[Count | None]], list[Count | None] | None]
KEPT_FOR = timedelta(days=2)  # longer than any policy remembers a count
_EXTENSION = "subsidy.login_throttle_store"


class Store(Protocol):
    def read(self, keys: Sequence[str]) -> list[Count | None]: ...

    def change(self, keys: Sequence[str], change: Change) -> None: ...


class DatabaseStore:
    def read(self, keys: Sequence[str]) -> list[Count | None]:
        rows = db.session.execute(sa.select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
        found = {row.key: row for row in rows.scalars()}
        return [_count_of(found.get(key)) for key in keys]

    def change(self, keys: Sequence[str], change: Change) -> None:
        session = db.session
        keys = sorted(set(keys))  # one order of locking: no deadlock between two attempts
        insert = _insert(session)
        placeholder = {"failures": 0, "first_at": utcnow(), "last_at": utcnow()}
        # A row per key first, so that SELECT ... FOR UPDATE has something to lock even for a
        # key never seen: two first attempts at once wait for each other here.
        session.execute(
            insert(LoginThrottle)
            .values([{"key": key, **placeholder} for key in keys])
            .on_conflict_do_nothing(index_elements=["key"])
        )
        rows = {
            row.key: row
            for row in session.execute(
                sa.select(LoginThrottle)
                .where(LoginThrottle.key.in_(keys))
                .order_by(LoginThrottle.key)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).scalars()
        }
        counts = [_count_of(rows.get(key)) for key in keys]
        new = change(counts)
        if new is not None:
            for key, count in zip(keys, new, strict=True):
                row = rows[key]
                if count is None:  # kept as an empty count: a waiting attempt updates it
                    row.failures, row.locked_until = 0, None
                else:
                    row.failures = count.failures
                    row.first_at, row.last_at = count.first_at, count.last_at
                    row.locked_until = count.locked_until
        if random.random() < 0.01:  # now and then: rows of old counts
            session.execute(
                sa.delete(LoginThrottle).where(LoginThrottle.last_at < utcnow() - KEPT_FOR)
            )
        session.flush()


def _insert(session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _count_of(row: LoginThrottle | None) -> Count | None:
    if row is None or row.failures <= 0:
        return None
    return Count(row.failures, row.first_at, row.last_at, row.locked_until)


class RedisStore:
    PREFIX = "subsidy:login-throttle:"

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def read(self, keys: Sequence[str]) -> list[Count | None]:
        import redis

        try:
            return [_from_hash(self.client.hgetall(self.PREFIX + key)) for key in keys]
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise _unavailable(error) from None

    def change(self, keys: Sequence[str], change: Change) -> None:
        names = [self.PREFIX + key for key in sorted(set(keys))]

        def run(pipe) -> None:
            counts = [_from_hash(pipe.hgetall(name)) for name in names]
            new = change(counts)
            pipe.multi()
            if new is None:
                return
            for name, count in zip(names, new, strict=True):
                if count is None:
                    pipe.delete(name)
                else:
                    pipe.hset(name, mapping=_to_hash(count))
                    pipe.expire(name, KEPT_FOR)

        import redis

        try:
            self.client.transaction(run, *names)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise _unavailable(error) from None


def _unavailable(error: Exception) -> ServiceUnavailable:
    """Fail closed: an attempt the throttle cannot count is not checked. One line, as
    subsidy.outage logs the database's outage; the answer is 503 with Retry-After."""
    current_app.logger.error("login throttle storage unavailable: %s", error)
    return ServiceUnavailable("the sign-in service is unavailable; try again in a few seconds")


def _to_hash(count: Count) -> dict[str, str]:
    return {
        "failures": str(count.failures),
        "first_at": count.first_at.isoformat(),
        "last_at": count.last_at.isoformat(),
        "locked_until": count.locked_until.isoformat() if count.locked_until else "",
    }


def _from_hash(values: dict) -> Count | None:
    if not values:
        return None
    text = {k.decode(): v.decode() for k, v in values.items()}
    locked = text.get("locked_until") or None
    return Count(
        failures=int(text["failures"]),
        first_at=datetime.fromisoformat(text["first_at"]),
        last_at=datetime.fromisoformat(text["last_at"]),
        locked_until=datetime.fromisoformat(locked) if locked else None,
    )


def store_for(uri: str) -> Store:
    """Redis for a redis:// (rediss://, unix://) URI; otherwise the database."""
    if uri.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(uri)
    return DatabaseStore()


def store() -> Store:
    """This app's store, made on first use from RATELIMIT_STORAGE_URI."""
    found = current_app.extensions.get(_EXTENSION)
    if found is None:
        uri = current_app.config.get("RATELIMIT_STORAGE_URI") or ""
        found = current_app.extensions[_EXTENSION] = store_for(uri)
    return found
