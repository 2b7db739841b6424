"""The payments API in and out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from subsidy.fields import Money


class TrancheInSchema(Schema):
    amount = Money(required=True)
    released_on = fields.Date(required=True)
    reference = fields.String(
        validate=validate.Length(max=120),
        metadata={"description": "the treasury's document number"},
    )


class TrancheSchema(Schema):
    id = fields.Integer(required=True)
    program = fields.String(required=True)
    amount = Money(required=True)
    released_on = fields.Date(required=True)
    reference = fields.String(allow_none=True, required=True)
    created_by_id = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)


class MoneySchema(Schema):
    budget = Money(required=True)
    committed = Money(required=True)
    released = Money(required=True)
    scheduled = Money(required=True)
    paid = Money(required=True)
    remaining = Money(required=True, metadata={"description": "budget not yet committed"})
    available = Money(
        required=True, metadata={"description": "released, not yet scheduled nor paid"}
    )
    arrears = Money(required=True, metadata={"description": "approved, not yet paid"})


class TrancheCreatedSchema(Schema):
    tranche = fields.Nested(TrancheSchema, required=True)
    money = fields.Nested(MoneySchema, required=True)


class RunInSchema(Schema):
    program = fields.String(required=True, validate=validate.Length(min=1, max=64))


class RunItemSchema(Schema):
    application = fields.Integer(required=True)
    number = fields.String(required=True)
    position = fields.Integer(required=True)
    amount = Money(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf(["scheduled", "paid", "returned", "cancelled"])
    )
    paid_on = fields.Date(allow_none=True, required=True)
    reason = fields.String(allow_none=True, required=True)
    creditor = fields.String(required=True)
    iban = fields.String(required=True, metadata={"description": "masked"})
    bic = fields.String(required=True)


class SkippedSchema(Schema):
    application = fields.Integer(required=True)
    number = fields.String(required=True)
    reason = fields.String(
        required=True, validate=validate.OneOf(["no_bank_account", "account_returned"])
    )


class CountAmountSchema(Schema):
    count = fields.Integer(required=True)
    amount = Money(required=True)


class ReconciliationSchema(Schema):
    sent = fields.Nested(CountAmountSchema, required=True)
    paid = fields.Nested(CountAmountSchema, required=True)
    returned = fields.Nested(CountAmountSchema, required=True)
    pending = fields.Nested(CountAmountSchema, required=True)
    balanced = fields.Boolean(
        required=True, metadata={"description": "sent = paid + returned + pending"}
    )


class ReportSchema(Schema):
    id = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    message_id = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    received_at = fields.AwareDateTime(required=True)
    paid = fields.Integer(required=True)
    returned = fields.Integer(required=True)


class RunSummarySchema(Schema):
    id = fields.Integer(required=True)
    program = fields.String(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf(["prepared", "released", "cancelled"])
    )
    total_amount = Money(required=True)
    item_count = fields.Integer(required=True)
    execution_date = fields.Date(required=True)
    prepared_by_id = fields.Integer(required=True)
    prepared_at = fields.AwareDateTime(required=True)
    released_by_id = fields.Integer(allow_none=True, required=True)
    released_at = fields.AwareDateTime(allow_none=True, required=True)
    cancelled_at = fields.AwareDateTime(allow_none=True, required=True)
    sha256 = fields.String(
        allow_none=True, required=True, metadata={"description": "of the pain.001 document"}
    )
    reconciliation = fields.Nested(ReconciliationSchema, required=True)


class RunSchema(RunSummarySchema):
    items = fields.List(fields.Nested(RunItemSchema), required=True)
    skipped = fields.List(fields.Nested(SkippedSchema), required=True)
    reports = fields.List(fields.Nested(ReportSchema), required=True)
    waiting = fields.Dict(
        allow_none=True,
        metadata={"description": "the first application the money did not reach (on preparing)"},
    )


class RunListSchema(Schema):
    items = fields.List(fields.Nested(RunSummarySchema), required=True)
    next = fields.Integer(allow_none=True, required=True)


class RunListQuerySchema(Schema):
    program = fields.String(validate=validate.Length(max=64))


class StatusReportOutcomeSchema(Schema):
    run = fields.Nested(RunSchema, required=True)
    applied = fields.Boolean(
        required=True, metadata={"description": "false: this report was applied before"}
    )
    paid = fields.Integer(required=True)
    returned = fields.Integer(required=True)
    pending = fields.Integer(required=True)
