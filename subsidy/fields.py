"""Marshmallow fields shared by the schemas."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields

from subsidy.db import quantize_money

MAX_MONEY = Decimal("9999999999999.99")  # 15 significant digits: exact on SQLite too
DECIMAL_RE = re.compile(r"^[0-9]{1,16}(\.[0-9]{1,4})?$", re.ASCII)


def money_str(value: Decimal | None) -> str | None:
    return None if value is None else f"{quantize_money(value):.2f}"


class Money(fields.Field):
    """KZT as a decimal string with at most two places ("1234.50"); numbers in JSON are refused
    because a float may already have lost the tiyn."""

    def __init__(self, *, places: int = 2, maximum: Decimal = MAX_MONEY, **kwargs):
        # What the OpenAPI description says about the wire format (a custom field has no type).
        kwargs["metadata"] = {
            "type": "string",
            "pattern": rf"^[0-9]{{1,16}}(\.[0-9]{{1,{places}}})?$",
            "example": "1234.50",
            **kwargs.get("metadata", {}),
        }
        super().__init__(**kwargs)
        self.places = places
        self.maximum = maximum

    def _serialize(self, value, attr, obj, **kwargs):
        return money_str(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not DECIMAL_RE.match(value.strip()):
            raise ValidationError('must be a decimal string such as "1234.50"')
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValidationError('must be a decimal string such as "1234.50"') from None
        if not number.is_finite() or number.as_tuple().exponent < -self.places:
            raise ValidationError(f"must have at most {self.places} decimal places")
        if number <= 0:
            raise ValidationError("must be greater than 0")
        if number > self.maximum:
            raise ValidationError(f"must be at most {self.maximum}")
        return number
