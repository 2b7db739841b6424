from __future__ import annotations

from marshmallow import Schema, fields, validate

from subsidy.fields import Money
from subsidy.obligations.queries import STATUSES


class RepaymentInSchema(Schema):
    amount = Money(required=True)
    paid_on = fields.Date(required=True)


class RepaymentSchema(Schema):
    amount = Money(required=True)
    paid_on = fields.Date(required=True)
    recorded_at = fields.AwareDateTime(required=True)


class NoticeRefSchema(Schema):
    number = fields.String(required=True)
    pdf_sha256 = fields.String(required=True)


class RecoverySchema(Schema):
    id = fields.Integer(required=True)
    application = fields.Integer(required=True)
    application_number = fields.String(required=True)
    obligation = fields.String(required=True)
    animals = fields.List(fields.String(), required=True)
    claimed = fields.Integer(required=True)
    paid_amount = Money(required=True)
    amount = Money(required=True, metadata={"description": "paid × left ÷ claimed, half up"})
    repaid_amount = Money(required=True)
    owed_amount = Money(required=True)
    opened_at = fields.AwareDateTime(required=True)
    due_on = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    snapshot = fields.Integer(required=True)
    notice = fields.Nested(NoticeRefSchema, allow_none=True, required=True)
    repayments = fields.List(fields.Nested(RepaymentSchema), required=True)


class RecoveryListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))


class RecoveryListSchema(Schema):
    items = fields.List(fields.Nested(RecoverySchema), required=True)
    next = fields.Integer(allow_none=True, required=True)
