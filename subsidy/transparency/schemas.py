import json

from marshmallow import Schema, fields, validate

from subsidy.fields import Money, money_str

OUTCOMES = ["approved", "rejected"]


class RegisterQuerySchema(Schema):
    program = fields.String(validate=validate.Length(max=64))
    district = fields.String(validate=validate.Length(max=16))
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    cursor = fields.Integer(validate=validate.Range(min=0, max=2**31 - 1))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class PublicApplicantSchema(Schema):
    kind = fields.String()
    name = fields.String(metadata={"description": "initials only for a natural person"})
    iin_bin = fields.String(allow_none=True, metadata={"description": "null for a natural person"})
    masked = fields.Boolean()


class RegisterRowSchema(Schema):
    decision_number = fields.String()
    application_number = fields.String()
    decided_at = fields.AwareDateTime()
    program = fields.String()
    program_name = fields.Dict(keys=fields.String(), values=fields.String())
    district = fields.String()
    applicant = fields.Nested(PublicApplicantSchema)
    outcome = fields.String()
    quantity = fields.Decimal(as_string=True, metadata={"type": "string"})
    unit = fields.String()
    approved_amount = Money(allow_none=True)
    pdf_sha256 = fields.String()
    log_index = fields.Integer()


class RegisterPageSchema(Schema):
    items = fields.List(fields.Nested(RegisterRowSchema), required=True)
    next = fields.Integer(allow_none=True, required=True)


class DistrictTotalSchema(Schema):
    code = fields.String()
    name = fields.Dict(keys=fields.String(), values=fields.String())
    approved = fields.Integer()
    amount = Money()


class ProgramTotalSchema(Schema):
    code = fields.String()
    budget = Money()
    amount = Money()
    approved = fields.Integer()


class SummarySchema(Schema):
    by_district = fields.List(fields.Nested(DistrictTotalSchema))
    by_program = fields.List(fields.Nested(ProgramTotalSchema))


def register_page_json(items: list[dict], next_cursor: int | None) -> str:
    """``RegisterPageSchema`` of ``queries.register_page`` as JSON text, written without
    marshmallow; ``tests/http`` holds it equal to the schema's dump."""
    rows = [
        {
            **row,
            "decided_at": None if row["decided_at"] is None else row["decided_at"].isoformat(),
            "quantity": format(row["quantity"], "f"),
            "approved_amount": money_str(row["approved_amount"]),
        }
        for row in items
    ]
    return json.dumps(
        {"items": rows, "next": next_cursor}, ensure_ascii=False, separators=(",", ":")
    )
