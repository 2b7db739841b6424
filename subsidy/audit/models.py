"""The append-only log tables. The migrations add triggers that refuse UPDATE and DELETE
(and TRUNCATE on PostgreSQL) on all three, and an insert guard on SQLite."""

from __future__ import annotations

import base64
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from subsidy.db import Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    entry_index: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    subject: Mapped[str] = mapped_column(sa.String(128), nullable=False, index=True)
    # The exact RFC 8785 bytes that were hashed; the JSON served and exported is parsed from them.
    canonical: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    leaf_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32), nullable=False)
    # The id it had in the queue (AuditQueued.id) when it was written there by its change and
    # given its index later by the sequencer; None for an entry appended under the log lock.
    entry_id: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)

    __table_args__ = (sa.Index("ix_audit_entries_entry_id", "entry_id", unique=True),)


class AuditQueued(Base):
    """An entry written by its change's own transaction and not yet given an index.

    The sequencer (:mod:`subsidy.audit.sequencer`) moves committed rows, in id order, into
    ``audit_entries`` and deletes them here in the same transaction; the migration's triggers
    refuse UPDATE, and DELETE of a row whose entry is not in the log."""

    __tablename__ = "audit_queue"
    # Never an id used before (SQLite reuses the largest rowid once the queue is empty): the
    # entries keep the id they had here.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    # The entry's timestamp as it will be hashed (ISO 8601, microseconds, +00:00).
    timestamp: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    actor: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(128), nullable=False, index=True)
    # The entry's data as RFC 8785 JSON text.
    data: Mapped[str] = mapped_column(sa.Text, nullable=False)


class AuditNode(Base):
    """Hash of a perfect subtree: leaves [node_index * 2**level, (node_index + 1) * 2**level).

    Appends write the nodes they complete, so roots and proofs read O(log n) rows, never the log.
    """

    __tablename__ = "audit_nodes"

    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    node_index: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32), nullable=False)


class AuditCheckpoint(Base):
    __tablename__ = "audit_checkpoints"

    tree_size: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32), nullable=False)
    # Kept as the exact text that was signed.
    timestamp: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    key_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary(64), nullable=False)

    def as_dict(self) -> dict:
        """The JSON checkpoint (``/api/v1/audit/checkpoints``): its own signature only."""
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "timestamp": self.timestamp,
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }


class AuditCheckpointNote(Base):
    """A checkpoint as a C2SP signed note (tlog-checkpoint): the Ed25519 signature over
    ``origin\nsize\nbase64(root)\n`` under the log's origin at the time of signing."""

    __tablename__ = "audit_checkpoint_notes"

    tree_size: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary(64), nullable=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AuditCosignature(Base):
    """A witness's cosignature (C2SP tlog-cosignature, cosignature/v1) of a checkpoint's note,
    stored once it verified under the witness's configured key; served with the checkpoint."""

    __tablename__ = "audit_cosignatures"

    tree_size: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    witness: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    key_id: Mapped[bytes] = mapped_column(sa.LargeBinary(4), primary_key=True)
    timestamp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary(64), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        sa.Index("ix_audit_cosignatures_witness", "origin", "witness", "key_id", "tree_size"),
    )
