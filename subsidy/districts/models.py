from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from subsidy.db import Base


class District(Base):
    """A district or city of regional significance of East Kazakhstan region."""

    __tablename__ = "districts"

    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    name_ru: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    name_kk: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    name_en: Mapped[str] = mapped_column(sa.String(120), nullable=False)

    def name(self, lang: str = "ru") -> str:
        return {"kk": self.name_kk, "en": self.name_en}.get(lang, self.name_ru)
