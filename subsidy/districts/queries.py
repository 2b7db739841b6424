from __future__ import annotations

import sqlalchemy as sa

from subsidy.districts.models import District
from subsidy.errors import ValidationFailed
from subsidy.extensions import db


def all_districts() -> list[District]:
    return list(db.session.execute(sa.select(District).order_by(District.code)).scalars())


def district_by_code(code: str, *, field: str = "district") -> District:
    district = db.session.get(District, code) if code else None
    if district is None:
        raise ValidationFailed.field(field, f"unknown district {code!r}")
    return district
