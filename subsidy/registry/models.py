"""State-registry extracts. Each import is a complete, dated snapshot of one kind; evaluations
record which snapshot of each kind they used, so a check can be explained later."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from subsidy.db import Base, ExactNumeric, Money, UTCDateTime, utcnow

KINDS = ("livestock", "animals", "land", "tax")


class RegistrySnapshot(Base):
    __tablename__ = "registry_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False, index=True)
    as_of: Mapped[date] = mapped_column(sa.Date, nullable=False)
    source_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    source_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    row_count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("kind IN ('livestock', 'animals', 'land', 'tax')", name="kind"),
    )


class _SnapshotRow:
    """One line of an extract: it belongs to a snapshot and names a person or entity."""

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registry_snapshots.id", ondelete="RESTRICT"), nullable=False
    )
    iin_bin: Mapped[str] = mapped_column(sa.String(12), nullable=False)


class LivestockRecord(_SnapshotRow, Base):
    __tablename__ = "registry_livestock"

    species: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    heads: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    identified_heads: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __table_args__ = (
        sa.Index("ix_registry_livestock_snapshot_iin_bin", "snapshot_id", "iin_bin"),
        sa.CheckConstraint("identified_heads >= 0 AND identified_heads <= heads", name="heads"),
    )


class AnimalRecord(_SnapshotRow, Base):
    """One identified animal of the livestock identification database, with its owner."""

    __tablename__ = "registry_animals"

    animal_id: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    species: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    sex: Mapped[str] = mapped_column(sa.String(1), nullable=False)
    birth_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    registered_on: Mapped[date] = mapped_column(sa.Date, nullable=False)

    __table_args__ = (
        sa.Index("ix_registry_animals_snapshot_iin_bin", "snapshot_id", "iin_bin", "species"),
        sa.UniqueConstraint(
            "snapshot_id", "animal_id", name="uq_registry_animals_snapshot_id_animal_id"
        ),
        sa.CheckConstraint("sex IN ('F', 'M')", name="sex"),
        sa.CheckConstraint("registered_on >= birth_date", name="registered_after_birth"),
    )


class LandRecord(_SnapshotRow, Base):
    __tablename__ = "registry_land"

    cadastral_number: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    hectares: Mapped[Decimal] = mapped_column(ExactNumeric(14, 4), nullable=False)

    __table_args__ = (
        sa.Index("ix_registry_land_snapshot_iin_bin", "snapshot_id", "iin_bin"),
        sa.CheckConstraint("hectares > 0", name="hectares_positive"),
    )


class TaxRecord(_SnapshotRow, Base):
    __tablename__ = "registry_tax"

    arrears_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)

    __table_args__ = (
        sa.Index("ix_registry_tax_snapshot_iin_bin", "snapshot_id", "iin_bin"),
        sa.CheckConstraint("arrears_amount >= 0", name="arrears_not_negative"),
    )
