"""The money after the decision: tranches the treasury released, payment runs that take the
queue in order, each run's payments and the bank's status reports.

A program's totals (``released_amount``, ``scheduled_amount``, ``paid_amount``) live on its row
in ``programs`` beside the budget, and CHECK constraints keep paid + scheduled within released
and released within the budget. The payment of an application is mirrored on its row
(``applications.payment_*``) so that lists and the register read it without a join; both are
written together, in :mod:`subsidy.payments.services` only.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from subsidy.db import Base, Money, UTCDateTime, string_enum, utcnow


class RunStatus(enum.StrEnum):
    PREPARED = "prepared"  # drafted by one treasurer, waiting for another to release it
    RELEASED = "released"  # its pain.001 document is rendered, stored and sent to the bank
    CANCELLED = "cancelled"  # a prepared run withdrawn: its applications are back in the queue


class PaymentStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # in a live run, not yet reported by the bank
    PAID = "paid"
    RETURNED = "returned"  # rejected by the bank: the application is back in the queue
    CANCELLED = "cancelled"  # its run was cancelled before release


# A payment that holds its application: at most one per application (a partial unique index).
LIVE_PAYMENT_STATUSES = (PaymentStatus.SCHEDULED, PaymentStatus.PAID)


class Tranche(Base):
    """Money the treasury released for a program. Never changed: a correction is a new row."""

    __tablename__ = "payment_tranches"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programs.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    released_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    reference: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    created_by_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)


class PaymentRun(Base):
    __tablename__ = "payment_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programs.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    status: Mapped[RunStatus] = mapped_column(string_enum(RunStatus, "status"), nullable=False)
    total_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    item_count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    execution_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    prepared_by_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False
    )
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    released_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=True
    )
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=True
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The ISO 20022 pain.001.001.09 document, rendered once at release and served as stored.
    document_sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    document: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True, deferred=True)

    payments: Mapped[list[Payment]] = relationship(
        back_populates="run", order_by="Payment.position"
    )
    skips: Mapped[list[PaymentSkip]] = relationship(order_by="PaymentSkip.position")

    __table_args__ = (
        sa.CheckConstraint("total_amount >= 0", name="total_not_negative"),
        sa.CheckConstraint(
            "(status = 'prepared') = (released_at IS NULL AND cancelled_at IS NULL)",
            name="status_times",
        ),
        sa.CheckConstraint(
            "released_by_id IS NULL OR released_by_id <> prepared_by_id", name="four_eyes"
        ),
        sa.CheckConstraint(
            "(status = 'released') = (document_sha256 IS NOT NULL)", name="released_document"
        ),
    )


class Payment(Base):
    """One credit transfer of a run: the creditor's account as it was when the run was prepared
    (what the releasing treasurer saw is what the bank gets), its end-to-end id (the application
    number) and what the bank reported."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payment_runs.id", ondelete="RESTRICT"), nullable=False
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    end_to_end_id: Mapped[str] = mapped_column(sa.String(35), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    creditor_name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    creditor_iban: Mapped[str] = mapped_column(sa.String(34), nullable=False)
    creditor_bic: Mapped[str] = mapped_column(sa.String(11), nullable=False)
    iban_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    remittance: Mapped[str] = mapped_column(sa.String(140), nullable=False)
    status: Mapped[PaymentStatus] = mapped_column(
        string_enum(PaymentStatus, "status"), nullable=False
    )
    paid_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    return_reason: Mapped[str | None] = mapped_column(sa.String(35), nullable=True)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The status report that settled it.
    report_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("payment_status_reports.id", ondelete="RESTRICT"), nullable=True
    )

    run: Mapped[PaymentRun] = relationship(back_populates="payments")

    __table_args__ = (
        sa.UniqueConstraint("run_id", "position", name="uq_payments_run_id_position"),
        sa.UniqueConstraint("run_id", "end_to_end_id", name="uq_payments_run_id_end_to_end_id"),
        # An application is in at most one live run, and is paid at most once.
        sa.Index(
            "ix_payments_live_application",
            "application_id",
            unique=True,
            postgresql_where=sa.text("status IN ('scheduled', 'paid')"),
            sqlite_where=sa.text("status IN ('scheduled', 'paid')"),
        ),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("(status = 'paid') = (paid_on IS NOT NULL)", name="paid_on"),
        sa.CheckConstraint(
            "(status = 'returned') = (return_reason IS NOT NULL)", name="return_reason"
        ),
    )


class PaymentSkip(Base):
    """An application the run passed over (no valid bank account): it keeps its place."""

    __tablename__ = "payment_skips"

    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payment_runs.id", ondelete="RESTRICT"), primary_key=True
    )
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT"), primary_key=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(32), nullable=False)


class PaymentStatusReport(Base):
    """A bank's pain.002.001.10 report as received, applied to one run. Never changed."""

    __tablename__ = "payment_status_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payment_runs.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    message_id: Mapped[str] = mapped_column(sa.String(35), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    received_by: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    paid_count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    returned_count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    document: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False, deferred=True)

    __table_args__ = (
        sa.UniqueConstraint("run_id", "sha256", name="uq_payment_status_reports_run_id_sha256"),
    )
