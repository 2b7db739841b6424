from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from subsidy.applicants.ids import id_kind
from subsidy.db import Base, UTCDateTime, string_enum, utcnow


class ApplicantKind(enum.StrEnum):
    INDIVIDUAL = "individual"
    PEASANT_FARM = "peasant_farm"
    LEGAL_ENTITY = "legal_entity"
    COOPERATIVE = "cooperative"


cooperative_members = sa.Table(
    "cooperative_members",
    Base.metadata,
    sa.Column(
        "cooperative_id",
        sa.ForeignKey("applicants.id", ondelete="RESTRICT"),
        primary_key=True,
    ),
    sa.Column(
        "member_id",
        sa.ForeignKey("applicants.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
    sa.CheckConstraint("cooperative_id <> member_id", name="not_self"),
)


class Applicant(Base):
    __tablename__ = "applicants"

    id: Mapped[int] = mapped_column(primary_key=True)
    iin_bin: Mapped[str] = mapped_column(sa.String(12), unique=True, nullable=False)
    kind: Mapped[ApplicantKind] = mapped_column(
        string_enum(ApplicantKind, "kind"),
        nullable=False,
    )
    name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    district_code: Mapped[str] = mapped_column(
        sa.ForeignKey("districts.code", ondelete="RESTRICT"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # The account subsidies are paid to (a Kazakh IBAN and its bank's BIC); the log records only
    # that it changed and the IBAN's SHA-256.
    iban: Mapped[str | None] = mapped_column(sa.String(34), nullable=True, index=True)
    bic: Mapped[str | None] = mapped_column(sa.String(11), nullable=True)
    bank_account_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The IIN of the head of a legal entity, peasant farm or cooperative (related parties).
    head_iin: Mapped[str | None] = mapped_column(sa.String(12), nullable=True, index=True)

    district = relationship("District", lazy="joined")
    members: Mapped[list[Applicant]] = relationship(
        "Applicant",
        secondary=cooperative_members,
        primaryjoin=lambda: Applicant.id == cooperative_members.c.cooperative_id,
        secondaryjoin=lambda: Applicant.id == cooperative_members.c.member_id,
        order_by=lambda: Applicant.iin_bin,
    )

    @property
    def is_natural_person(self) -> bool:
        """Identified by an IIN: individuals and peasant farms registered on their head's IIN."""
        return self.kind in (ApplicantKind.INDIVIDUAL, ApplicantKind.PEASANT_FARM) and (
            id_kind(self.iin_bin) == "iin"
        )
