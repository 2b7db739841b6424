import json

from marshmallow import Schema, fields, validate

from subsidy.fields import Money, money_str
from subsidy.transparency.queries import QUEUE_STATUSES

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
    paid_amount = Money(allow_none=True, metadata={"description": "null until the bank paid it"})
    paid_on = fields.Date(allow_none=True)
    recovered_amount = Money(
        allow_none=True,
        metadata={"description": "repaid after a breached obligation; null for a rejection"},
    )
    pdf_sha256 = fields.String()
    log_index = fields.Integer()


class QueueQuerySchema(Schema):
    program = fields.String(required=True, validate=validate.Length(min=1, max=64))
    cursor = fields.Integer(validate=validate.Range(min=0, max=2**31 - 1))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class QueueEntrySchema(Schema):
    position = fields.Integer(metadata={"description": "1-based place in the waiting list"})
    number = fields.String()
    submitted_at = fields.AwareDateTime()
    amount = Money(metadata={"description": "approved; for a waitlisted one, what it would get"})
    status = fields.String(
        validate=validate.OneOf(QUEUE_STATUSES),
        metadata={
            "description": "approved: waiting for a payment run; scheduled: in a payment run, "
            "waiting for the bank; returned: the bank sent the payment back, waiting again in "
            "its place; waitlisted: eligible, waiting for budget"
        },
    )
    applicant = fields.Nested(PublicApplicantSchema)


class QueueSummarySchema(Schema):
    program = fields.String()
    budget = Money()
    committed = Money(metadata={"description": "approved"})
    released = Money(metadata={"description": "released by the treasury"})
    scheduled = Money(metadata={"description": "in payment runs the bank has not answered"})
    paid = Money(metadata={"description": "paid, as the bank reported"})
    arrears = Money(metadata={"description": "approved and not yet paid: committed - paid"})
    waiting = fields.Integer(metadata={"description": "entries in the waiting list"})


class QueuePageSchema(Schema):
    summary = fields.Nested(QueueSummarySchema, required=True)
    items = fields.List(fields.Nested(QueueEntrySchema), required=True)
    next = fields.Integer(allow_none=True, required=True)


class CooperativeSchema(Schema):
    bin = fields.String()
    name = fields.String()
    district = fields.String()
    members = fields.Integer()
    applications = fields.Integer(metadata={"description": "applications, withdrawn ones aside"})
    approved_amount = Money(metadata={"description": "of its approved and paid applications"})
    paid_amount = Money()


class CooperativeTotalsSchema(Schema):
    planned = fields.Integer(metadata={"description": "cooperatives the programme plans"})
    registered = fields.Integer()
    applied = fields.Integer(metadata={"description": "cooperatives with an application"})
    approved = fields.Integer(metadata={"description": "cooperatives with money approved"})
    paid = fields.Integer(metadata={"description": "cooperatives paid"})
    approved_amount = Money()
    paid_amount = Money()


class CooperativesSchema(Schema):
    totals = fields.Nested(CooperativeTotalsSchema, required=True)
    items = fields.List(fields.Nested(CooperativeSchema), required=True)


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
            "paid_amount": money_str(row["paid_amount"]),
            "paid_on": None if row["paid_on"] is None else row["paid_on"].isoformat(),
            "recovered_amount": money_str(row["recovered_amount"]),
        }
        for row in items
    ]
    return json.dumps(
        {"items": rows, "next": next_cursor}, ensure_ascii=False, separators=(",", ":")
    )
