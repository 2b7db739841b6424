from __future__ import annotations

from marshmallow import Schema, fields, validate

from subsidy.appeals.queries import STATUSES
from subsidy.appeals.services import OUTCOMES, REASON_MAX


class AppealInSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REASON_MAX))


class DecideInSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REASON_MAX))


class AppealDocumentSchema(Schema):
    number = fields.String(required=True)
    pdf_sha256 = fields.String(required=True)


class AppealSchema(Schema):
    id = fields.Integer(required=True)
    application = fields.Integer(required=True)
    application_number = fields.String(required=True)
    recovery = fields.Integer(allow_none=True, required=True)
    against = fields.String(required=True)
    reason = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    filed_at = fields.AwareDateTime(required=True)
    filed_on = fields.Date(required=True)
    due_on = fields.Date(required=True, metadata={"description": "5 working days after filing"})
    overdue = fields.Boolean(required=True)
    decided_by_id = fields.Integer(allow_none=True, required=True)
    decided_at = fields.AwareDateTime(allow_none=True, required=True)
    decision_reason = fields.String(allow_none=True, required=True)
    document = fields.Nested(AppealDocumentSchema, allow_none=True, required=True)


class AppealListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    overdue = fields.Boolean()


class AppealListSchema(Schema):
    items = fields.List(fields.Nested(AppealSchema), required=True)
    next = fields.Integer(allow_none=True, required=True)
