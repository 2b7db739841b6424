"""Appeals: one open at a time per appealed decision (a rejection or ineligible result of an
application, or a recovery notice)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from subsidy.db import Base, UTCDateTime, string_enum, utcnow


class AppealStatus(enum.StrEnum):
    OPEN = "open"
    GRANTED = "granted"
    DISMISSED = "dismissed"


class Appeal(Base):
    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    recovery_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("recovery_cases.id", ondelete="RESTRICT"), nullable=True
    )
    # What is appealed: "application:<id>" (its rejection or ineligible result) or
    # "recovery:<id>"; one open appeal per subject (a partial unique index).
    subject: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    # The letter appealed (a rejection or a recovery notice); None for an ineligible result.
    appealed_document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision_documents.id", ondelete="RESTRICT"), nullable=True
    )
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    filed_by_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False
    )
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    filed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)  # the service's day
    due_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[AppealStatus] = mapped_column(
        string_enum(AppealStatus, "status"), nullable=False
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision_documents.id", ondelete="RESTRICT"), nullable=True
    )

    __table_args__ = (
        sa.Index(
            "ix_appeals_open_subject",
            "subject",
            unique=True,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        ),
        sa.Index("ix_appeals_status_due", "status", "due_on"),
        sa.CheckConstraint("(status = 'open') = (decided_at IS NULL)", name="decided_at"),
    )
