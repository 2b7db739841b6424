from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from subsidy.fields import Money


class ApproveSchema(Schema):
    amount = Money(load_default=None)
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))
    # Required when the application has a high risk flag.
    justification = fields.String(load_default=None, validate=validate.Length(max=2000))


class RejectSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class VerifyHashSchema(Schema):
    sha256 = fields.String(validate=validate.Length(max=128))


class VerifyUploadSchema(Schema):
    file = Upload(metadata={"description": "the decision PDF"})


class VerificationSchema(Schema):
    valid = fields.Boolean(required=True)
    sha256 = fields.String(required=True)
    matched = fields.String(metadata={"description": "file: the PDF's hash; content: the QR's"})
    kind = fields.String(
        metadata={"description": "decision, appeal (an appeal decision) or recovery (a notice)"}
    )
    decision_number = fields.String()
    application_number = fields.String()
    outcome = fields.String()
    status = fields.String(metadata={"description": "the application's current status"})
    superseded = fields.Boolean()
    issued_at = fields.AwareDateTime()
    pdf_sha256 = fields.String()
    content_sha256 = fields.String()
    log_index = fields.Integer()
    inclusion_proof = fields.String(
        metadata={"description": "add &tree_size=<checkpoint size> to get the proof"}
    )
