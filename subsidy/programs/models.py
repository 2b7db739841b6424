"""Programs and their immutable, numbered versions.

A program's identity and its money (budget, what approvals have committed, what the treasury
released, what payment runs scheduled and the bank paid) live in ``programs``; approvals and
payment runs lock that row. Each load of a program file adds a ``program_versions``
row holding the canonical definition; applications are pinned to the version they were
evaluated under, so an old decision can always be reproduced."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from subsidy.db import Base, Money, UTCDateTime, utcnow


class Program(Base):
    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    budget_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    committed_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))
    # The money side (subsidy.payments): what the treasury released in tranches, what live
    # payment runs have scheduled and what the bank reported paid.
    released_amount: Mapped[Decimal] = mapped_column(
        Money, nullable=False, default=Decimal("0"), server_default="0"
    )
    scheduled_amount: Mapped[Decimal] = mapped_column(
        Money, nullable=False, default=Decimal("0"), server_default="0"
    )
    paid_amount: Mapped[Decimal] = mapped_column(
        Money, nullable=False, default=Decimal("0"), server_default="0"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    versions: Mapped[list[ProgramVersion]] = relationship(
        back_populates="program", order_by="ProgramVersion.version"
    )

    __table_args__ = (
        sa.CheckConstraint("committed_amount >= 0", name="committed_not_negative"),
        sa.CheckConstraint("committed_amount <= budget_amount", name="committed_within_budget"),
        sa.CheckConstraint("released_amount <= budget_amount", name="released_within_budget"),
        sa.CheckConstraint(
            "scheduled_amount >= 0 AND paid_amount >= 0", name="payments_not_negative"
        ),
        sa.CheckConstraint(
            "scheduled_amount + paid_amount <= released_amount", name="paid_within_released"
        ),
        sa.CheckConstraint("paid_amount <= committed_amount", name="paid_within_committed"),
    )

    @property
    def remaining_amount(self) -> Decimal:
        return self.budget_amount - self.committed_amount


class ProgramQueue(Base):
    """The program's queue counter: the last queue number given to one of its applications.

    A submission takes the next number with one upsert, which locks this row until it commits:
    the program's submissions are serialised on it (and only those), so numbers are gap-free and
    in commit order."""

    __tablename__ = "program_queues"

    program_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programs.id", ondelete="RESTRICT"), primary_key=True, autoincrement=False
    )
    last_number: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class ProgramVersion(Base):
    __tablename__ = "program_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programs.id", ondelete="RESTRICT"), nullable=False
    )
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    rules_version: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    # The canonical JSON of the definition (RFC 8785); rules_version is derived from it.
    definition: Mapped[str] = mapped_column(sa.Text, nullable=False)
    name_ru: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    name_kk: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    name_en: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    opens_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    closes_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    budget_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    program: Mapped[Program] = relationship(back_populates="versions")

    __table_args__ = (
        sa.UniqueConstraint("program_id", "version", name="uq_program_versions_program_version"),
    )

    def name(self, lang: str = "ru") -> str:
        return {"kk": self.name_kk, "en": self.name_en}.get(lang, self.name_ru)
