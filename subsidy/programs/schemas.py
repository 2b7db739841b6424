from marshmallow import Schema, fields

from subsidy.fields import Money


class LocalizedSchema(Schema):
    ru = fields.String(required=True)
    kk = fields.String(required=True)
    en = fields.String(required=True)


class WindowSchema(Schema):
    opens = fields.Date(required=True)
    closes = fields.Date(required=True)


class RateChangeSchema(Schema):
    starts = fields.Date(allow_none=True, required=True)
    rate = fields.String(required=True)


class CriterionSchema(Schema):
    rule = fields.String(required=True)
    params = fields.Dict(required=True)


class ProgramSchema(Schema):
    code = fields.String(required=True)
    version = fields.Integer(required=True)
    rules_version = fields.String(required=True)
    name = fields.Nested(LocalizedSchema, required=True)
    reference = fields.Raw(allow_none=True)
    window = fields.Nested(WindowSchema, required=True)
    open = fields.Boolean(required=True, metadata={"description": "accepting applications today"})
    applicant_kinds = fields.List(fields.String(), required=True)
    unit = fields.String(required=True)
    rate = fields.String(
        allow_none=True, required=True, metadata={"description": "rate in force today"}
    )
    rates = fields.List(fields.Nested(RateChangeSchema), required=True)
    max_amount_per_applicant = Money(required=True)
    second_approval_above = Money(required=True)
    decision_days = fields.Integer(required=True)
    budget = Money(required=True)
    committed = Money(required=True)
    remaining = Money(required=True)
    released = Money(required=True, metadata={"description": "released by the treasury"})
    scheduled = Money(required=True, metadata={"description": "in live payment runs"})
    paid = Money(required=True, metadata={"description": "paid, as the bank reported"})
    criteria = fields.List(fields.Nested(CriterionSchema), required=True)
