"""Applications and the claims they make (parcels, animals) for double-funding checks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

# The statuses live with the state machine; imported here too, as they always were.
from subsidy.applications.states import AWAITING_DECISION as AWAITING_DECISION
from subsidy.applications.states import LIVE_STATUSES as LIVE_STATUSES
from subsidy.applications.states import Status
from subsidy.db import Base, ExactNumeric, Money, UTCDateTime, string_enum, utcnow


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(sa.String(96), unique=True, nullable=True)
    program_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programs.id", ondelete="RESTRICT"), nullable=False
    )
    program_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("program_versions.id", ondelete="RESTRICT"), nullable=False
    )
    applicant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applicants.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    submitted_by_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False
    )
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    # Its place in the program's queue (1, 2, ...), from the program's counter
    # (subsidy.programs.queue) when it was submitted, and logged with the submission.
    queue_number: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    status: Mapped[Status] = mapped_column(string_enum(Status, "status", 32), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(ExactNumeric(18, 4), nullable=False)
    rate: Mapped[Decimal] = mapped_column(ExactNumeric(18, 4), nullable=False)
    requested_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    rules_version: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    # The evaluation as served (checks, details, facts used, snapshots), canonical JSON.
    evaluation: Mapped[str] = mapped_column(sa.Text, nullable=False)
    submitted_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    decision_due_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    proposed_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    first_approver_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=True
    )
    first_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_comment: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Why the approving official went ahead despite a high risk flag (printed in the decision).
    justification: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # When the risk flags (ApplicationFlag) were last computed.
    flags_computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Its latest payment, mirrored from subsidy.payments (which writes both together) so that
    # lists and the public register show it without a join: scheduled | paid | returned.
    payment_status: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    payment_run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("payment_runs.id", ondelete="RESTRICT"), nullable=True
    )
    payment_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    paid_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    payment_reason: Mapped[str | None] = mapped_column(sa.String(35), nullable=True)

    program = relationship("Program", lazy="joined")
    program_version = relationship("ProgramVersion", lazy="joined")
    applicant = relationship("Applicant", lazy="joined")
    claims: Mapped[list[ApplicationClaim]] = relationship(back_populates="application")

    __table_args__ = (
        sa.UniqueConstraint(
            "submitted_by_id",
            "idempotency_key",
            name="uq_applications_submitted_by_id_idempotency_key",
        ),
        sa.Index("ix_applications_program_status", "program_id", "status"),
        sa.Index("ix_applications_program_queue", "program_id", "queue_number", unique=True),
        sa.Index("ix_applications_status_due", "status", "decision_due_on"),
        # The public register's totals by program and by district read only these (index-only
        # on PostgreSQL), not every approved row.
        sa.Index(
            "ix_applications_approved_program",
            "program_id",
            "applicant_id",
            postgresql_include=["approved_amount", "id"],
            postgresql_where=sa.text("status IN ('approved', 'paid')"),
            sqlite_where=sa.text("status IN ('approved', 'paid')"),
        ),
        sa.Index(
            "ix_applications_approved_applicant",
            "applicant_id",
            postgresql_include=["approved_amount", "id"],
            postgresql_where=sa.text("status IN ('approved', 'paid')"),
            sqlite_where=sa.text("status IN ('approved', 'paid')"),
        ),
        # A waitlisted application's place in its program's queue counts only the entries ahead.
        sa.Index(
            "ix_applications_waitlist",
            "program_id",
            "id",
            postgresql_where=sa.text("status = 'waitlisted'"),
            sqlite_where=sa.text("status = 'waitlisted'"),
        ),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint(
            "payment_status IS NULL OR payment_status IN ('scheduled', 'paid', 'returned')",
            name="payment_status",
        ),
        sa.CheckConstraint("(status = 'paid') = (paid_on IS NOT NULL)", name="paid_on"),
        sa.CheckConstraint(
            "approved_amount IS NULL OR approved_amount <= requested_amount",
            name="approved_within_requested",
        ),
    )


class ApplicationClaim(Base):
    """A parcel (``parcel:<cadastral number>``), an identified animal (``animal:<animal id>``) or
    a herd (``animals:<owner>:<species>``) that an application claims. Two live applications of
    one funding group and period (``funding_group``; ``period``: ``lifetime`` or the year) may not
    share a key, whatever their programs."""

    __tablename__ = "application_claims"

    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT"), primary_key=True
    )
    claim_key: Mapped[str] = mapped_column(sa.String(96), primary_key=True)
    program_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programs.id", ondelete="RESTRICT"), nullable=False
    )
    funding_group: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    period: Mapped[str] = mapped_column(sa.String(16), nullable=False)

    application: Mapped[Application] = relationship(back_populates="claims")

    __table_args__ = (
        sa.Index("ix_application_claims_program_key", "program_id", "claim_key"),
        sa.Index("ix_application_claims_group_key", "funding_group", "period", "claim_key"),
    )


class ApplicationFlag(Base):
    """A risk flag of an application: advisory evidence for the official, never a refusal.
    Recomputing replaces an application's flags; each names its evidence (ids only)."""

    __tablename__ = "application_flags"

    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT"), primary_key=True
    )
    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    severity: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    detail: Mapped[str] = mapped_column(sa.Text, nullable=False)  # JSON {ru, kk, en}
    evidence: Mapped[str] = mapped_column(sa.Text, nullable=False)  # JSON
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        sa.Index("ix_application_flags_code", "code"),
        sa.CheckConstraint("severity IN ('high', 'medium', 'low')", name="severity"),
    )


def lock_application(application: Application) -> None:
    """Lock the row (PostgreSQL: FOR NO KEY UPDATE) and reload it as committed by others."""
    from subsidy.extensions import db

    db.session.execute(
        sa.select(Application.id)
        .where(Application.id == application.id)
        .with_for_update(key_share=True)
    )
    db.session.refresh(application)
