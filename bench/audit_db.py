"""The database side of the log benchmark: bulk-load the synthetic log (entries, subtree nodes,
a signed checkpoint every 100 entries), then ``subsidy audit verify`` against streaming the same
rows and hashing each stored entry."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bench.audit_verify import ENTRIES, synthetic_entry
from bench.common import Figure, interleaved
from subsidy.audit import checkpoints, merkle
from subsidy.audit.models import AuditCheckpoint, AuditEntry, AuditNode
from subsidy.audit.signing import signing_key
from subsidy.audit.verification import _stream_rows, verify_log
from subsidy.extensions import db

BATCH = 20_000
CHECKPOINT_EVERY = 100


def make_app(url: str, folder: Path):
    from flask_migrate import upgrade

    from subsidy import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": folder,
            "SIGNING_KEY_PATH": str(folder / "signing_key.pem"),
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        upgrade()
    return app


def bulk_load(count: int) -> None:
    """Rows as append_entry would write them, inserted in batches without per-entry queries.
    The columns beside an entry are the hashed entry's own (the insert guards of migration 0009
    refuse any other)."""
    key = signing_key()
    tree = merkle.CompactRange()
    created = datetime(2026, 3, 1, tzinfo=UTC)  # the checkpoints' timestamp
    entries, nodes, signed = [], [], []
    for index in range(count):
        canonical = synthetic_entry(index)
        leaf = merkle.leaf_hash(canonical)
        hashed = json.loads(canonical)
        entries.append(
            {
                "entry_index": index,
                "created_at": datetime.fromisoformat(hashed["timestamp"]),
                "actor": hashed["actor"],
                "action": hashed["action"],
                "subject": hashed["subject"],
                "canonical": canonical,
                "leaf_hash": leaf,
            }
        )
        nodes.extend({"level": lv, "node_index": ix, "hash": h} for lv, ix, h in tree.append(leaf))
        if tree.size % CHECKPOINT_EVERY == 0:
            cp = checkpoints.sign_checkpoint(
                key.private_key, tree.size, tree.root(), created.isoformat()
            )
            signed.append(
                {
                    "tree_size": cp["tree_size"],
                    "root_hash": bytes.fromhex(cp["root_hash"]),
                    "timestamp": cp["timestamp"],
                    "key_id": cp["key_id"],
                    "signature": base64.b64decode(cp["signature"]),
                }
            )
        if len(entries) >= BATCH or index == count - 1:
            db.session.execute(sa.insert(AuditEntry), entries)
            db.session.execute(sa.insert(AuditNode), nodes)
            if signed:
                db.session.execute(sa.insert(AuditCheckpoint), signed)
            db.session.commit()
            entries, nodes, signed = [], [], []


def bare_hash_rows() -> None:
    sha256 = hashlib.sha256
    for _, canonical, _ in _stream_rows():
        sha256(canonical).digest()
    db.session.rollback()


def verify_rows() -> None:
    ok, line, _ = verify_log()
    assert ok, line
    db.session.rollback()


def fresh_postgres_database(url: str, name: str) -> str:
    """A database of the benchmark's own on the server of ``url``, recreated empty."""
    base = sa.engine.make_url(url)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, name: str) -> None:
    admin = sa.create_engine(sa.engine.make_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def database_figures(folder: Path) -> list[Figure]:
    targets = [("SQLite", f"sqlite:///{folder / 'bench.db'}")]
    if os.environ.get("SUBSIDY_BENCH_POSTGRES_URL"):
        targets.append(("PostgreSQL", os.environ["SUBSIDY_BENCH_POSTGRES_URL"]))
    figures = []
    for label, url in targets:
        if label == "PostgreSQL":
            url = fresh_postgres_database(url, "subsidy_bench_log")
        app = make_app(url, folder / label)
        try:
            with app.app_context():
                bulk_load(ENTRIES)
                times = interleaved(3, bare=bare_hash_rows, verify=verify_rows)
                db.engine.dispose()
        finally:
            if label == "PostgreSQL":
                drop_database(os.environ["SUBSIDY_BENCH_POSTGRES_URL"], "subsidy_bench_log")
        figures.append(
            Figure(
                f"subsidy audit verify on {label}, {ENTRIES:,} entries (s)",
                times["verify"],
                times["bare"],
                "s",
                "<= 2x streaming + bare hashing",
            )
        )
    return figures
