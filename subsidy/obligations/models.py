"""Recovery cases opened on breached obligations, and the repayments recorded against them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from subsidy.db import Base, Money, UTCDateTime, string_enum, utcnow


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    REPAID = "repaid"  # repayments reached the amount
    CANCELLED = "cancelled"  # an appeal against the notice was granted


# Shown, never stored: an open case past its due date is "overdue" (the list for enforcement).
OVERDUE = "overdue"


class RecoveryCase(Base):
    __tablename__ = "recovery_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    # The animals extract that showed the breach.
    snapshot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registry_snapshots.id", ondelete="RESTRICT"), nullable=False
    )
    obligation: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    animals: Mapped[str] = mapped_column(sa.Text, nullable=False)  # JSON list of animal ids
    claimed_count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    paid_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    repaid_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    due_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[CaseStatus] = mapped_column(string_enum(CaseStatus, "status"), nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notice_document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision_documents.id", ondelete="RESTRICT"), nullable=True
    )

    repayments: Mapped[list[Repayment]] = relationship(order_by="Repayment.id")

    __table_args__ = (
        sa.Index("ix_recovery_cases_status_due", "status", "due_on"),
        sa.CheckConstraint("amount > 0 AND amount <= paid_amount", name="amount_within_paid"),
        sa.CheckConstraint("repaid_amount >= 0", name="repaid_not_negative"),
        sa.CheckConstraint("status <> 'repaid' OR repaid_amount >= amount", name="repaid_in_full"),
        sa.CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="closed_at"),
    )


class Repayment(Base):
    """Money the farmer paid back, as the treasury's account shows it. Never changed."""

    __tablename__ = "recovery_repayments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("recovery_cases.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    paid_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    recorded_by_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)
