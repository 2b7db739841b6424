"""The witness's memory: the latest checkpoint it cosigned for each log, in one SQLite file.

Every check-and-update runs in one ``BEGIN IMMEDIATE`` transaction on a connection of its own
(and, inside one process, under a lock), so two submissions for the same log are never checked
against the same old state: the second waits and sees the first's result. Commits are durable
before the witness answers (WAL journal, ``synchronous=FULL``).

Tables:

* ``log_state``: per origin, the tree size (decimal text: a size may exceed SQLite's signed
  64-bit integers), the 32-byte root, the whole signed checkpoint note it cosigned last and
  the POSIX time of that update.
* ``evidence``: checkpoints that carried a valid log signature but were refused as inconsistent
  with ``log_state`` (a consistency proof that does not verify, another root at the same size,
  a non-empty root for the empty tree): each request body verbatim, once. A log that signs two
  inconsistent checkpoints has proven its own misbehaviour; this keeps the proof.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS log_state (
    origin TEXT PRIMARY KEY,
    size TEXT NOT NULL,
    root BLOB NOT NULL,
    note BLOB NOT NULL,
    updated INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS evidence (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    received INTEGER NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    request BLOB NOT NULL,
    UNIQUE (origin, request)
);
"""
BUSY_TIMEOUT_SECONDS = 30.0


class StateError(Exception):
    """The state file cannot be opened or is not a witness state."""


@dataclass(frozen=True)
class LogState:
    origin: str
    size: int
    root: bytes
    note: bytes
    updated: int


class Transaction:
    """Reads and writes inside one immediate transaction (see :meth:`State.transaction`)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def latest(self, origin: str) -> LogState | None:
        row = self._db.execute(
            "SELECT origin, size, root, note, updated FROM log_state WHERE origin = ?", (origin,)
        ).fetchone()
        return None if row is None else _log_state(row)

    def store(self, state: LogState) -> None:
        self._db.execute(
            "INSERT INTO log_state (origin, size, root, note, updated) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root,"
            " note = excluded.note, updated = excluded.updated",
            (state.origin, str(state.size), state.root, state.note, state.updated),
        )

    def record_evidence(
        self, origin: str, received: int, status: int, reason: str, request: bytes
    ) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO evidence (origin, received, status, reason, request)"
            " VALUES (?, ?, ?, ?, ?)",
            (origin, received, status, reason, request),
        )


def _log_state(row: tuple[str, str, bytes, bytes, int]) -> LogState:
    origin, size, root, note, updated = row
    return LogState(origin, int(size), bytes(root), bytes(note), updated)


class State:
    """The state file. Opening creates it (and its tables) when it does not exist yet."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            with self._connect() as db:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version not in (0, SCHEMA_VERSION):
                    raise StateError(f"{self.path}: state schema version {version} is unknown")
                db.execute("PRAGMA journal_mode = WAL")
                db.executescript(_SCHEMA)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise StateError(f"{self.path}: {exc}") from exc

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous = FULL")
            yield db
        finally:
            db.close()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One ``BEGIN IMMEDIATE`` transaction: committed when the block ends, else rolled back.

        IMMEDIATE takes SQLite's write lock before the first read, so a concurrent writer (a
        thread of this process or another process on the same file) waits for the commit.
        """
        with self._lock, self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def all_logs(self) -> list[LogState]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT origin, size, root, note, updated FROM log_state ORDER BY origin"
            ).fetchall()
        return [_log_state(row) for row in rows]

    def evidence_count(self) -> int:
        with self._connect() as db:
            count: int = db.execute("SELECT count(*) FROM evidence").fetchone()[0]
        return count
