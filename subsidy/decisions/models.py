"""Issued decision documents: the exact PDF bytes, never re-rendered, and their hashes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from subsidy.db import Base, UTCDateTime, utcnow


class DecisionDocument(Base):
    __tablename__ = "decision_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    number: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    # decision (approved | rejected), appeal (granted | dismissed) or recovery (a notice).
    kind: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default="decision", server_default="decision"
    )
    outcome: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    # SHA-256 of the canonical JSON of what the document states; the QR code carries it,
    # since a file cannot contain its own hash.
    content_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    content: Mapped[str] = mapped_column(sa.Text, nullable=False)
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    # Deferred: lists, counts and the latest document never read the bytes; serving it does.
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False, deferred=True)
    # The log entry of the decision the document records, and of its own issue.
    decision_log_index: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    issued_log_index: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    application = relationship("Application")

    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'decision' AND outcome IN ('approved', 'rejected'))"
            " OR (kind = 'appeal' AND outcome IN ('granted', 'dismissed'))"
            " OR (kind = 'recovery' AND outcome = 'recovery')",
            name="outcome",
        ),
        sa.Index("ix_decision_documents_application_kind", "application_id", "kind"),
    )
