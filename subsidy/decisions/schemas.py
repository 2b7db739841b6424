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


class SignatureSchema(Schema):
    state = fields.String(
        required=True,
        metadata={
            "description": "valid (intact, by a certificate chaining to the agency's CA, over "
            "the whole file), invalid, or absent (the file has no signature)"
        },
    )
    signer = fields.String(allow_none=True, metadata={"description": "the certificate's holder"})
    subject = fields.String(allow_none=True, metadata={"description": "RFC 4514"})
    serial = fields.String(allow_none=True, metadata={"description": "hexadecimal"})
    signed_at = fields.AwareDateTime(allow_none=True)
    intact = fields.Boolean()
    trusted = fields.Boolean()
    whole_file = fields.Boolean()
    problem = fields.String(
        allow_none=True,
        metadata={
            "description": "why invalid: unreadable, malformed, changed, mismatch, untrusted, "
            "extended or invalid"
        },
    )


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
    applicant = fields.Dict(
        metadata={"description": "name and BIN as the register shows them (initials for a person)"}
    )
    amount = fields.Decimal(as_string=True, allow_none=True)
    amount_kind = fields.String(
        allow_none=True, metadata={"description": "approved, requested or to_repay"}
    )
    log_index = fields.Integer(metadata={"description": "the document_issued log entry"})
    decision_log_index = fields.Integer(
        metadata={"description": "the log entry of the decision the document states"}
    )
    inclusion_proof = fields.String(
        metadata={"description": "the document_issued entry's inclusion in a signed checkpoint"}
    )
    signature = fields.Nested(
        SignatureSchema,
        allow_none=True,
        metadata={"description": "the PDF's signature; null for a hash the service never issued"},
    )
