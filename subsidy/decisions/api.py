from __future__ import annotations

import hashlib

from flask import request

from subsidy.accounts.access import public
from subsidy.api_docs import Blueprint
from subsidy.decisions.queries import parse_sha256, verification
from subsidy.decisions.schemas import VerificationSchema, VerifyHashSchema, VerifyUploadSchema
from subsidy.errors import DomainError, ValidationFailed
from subsidy.extensions import limiter

blp = Blueprint("documents", __name__, url_prefix="/documents", description="Decision documents")

MAX_UPLOAD = 5 * 1024 * 1024


class TooLarge(DomainError):
    status = 413
    code = "too_large"


def uploaded_sha256(storage) -> str:
    """SHA-256 of an uploaded file, refusing anything over the limit or not a PDF."""
    data = storage.stream.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise TooLarge(
            f"file: larger than {MAX_UPLOAD // (1024 * 1024)} MB", {"file": ["too large"]}
        )
    if not data.startswith(b"%PDF-"):
        raise ValidationFailed.field("file", "is not a PDF document")
    return hashlib.sha256(data).hexdigest()


@blp.route("/verify", methods=["POST"])
@public
@limiter.limit("60 per minute")
@blp.arguments(VerifyHashSchema, location="json", required=False)
@blp.arguments(VerifyUploadSchema, location="files")
@blp.response(200, VerificationSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def verify(payload, files):
    """Is this a genuine decision? Send the PDF (multipart field `file`) or `{"sha256": ...}`."""
    for name in request.form:  # parts that are not files: not ours, as unknown JSON keys
        raise ValidationFailed.field(name or "_form", "unknown field")
    upload = files.get("file") or request.files.get("file")
    if upload is not None:
        return verification(uploaded_sha256(upload))
    if not payload or "sha256" not in payload:
        raise ValidationFailed.field("sha256", "send a PDF as `file` or its SHA-256 as `sha256`")
    return verification(parse_sha256(payload["sha256"]))
