from __future__ import annotations

import hashlib

from flask import request

from subsidy.access import Role, api_user, public, roles
from subsidy.api_docs import Blueprint
from subsidy.applications.queries import application_view, visible_application
from subsidy.applications.schemas import ApplicationSchema
from subsidy.decisions import services
from subsidy.decisions.http import pdf_response, tlog_proof_response, uploaded_pdf
from subsidy.decisions.queries import latest_document, parse_sha256
from subsidy.decisions.schemas import (
    ApproveSchema,
    RejectSchema,
    VerificationSchema,
    VerifyHashSchema,
    VerifyUploadSchema,
)
from subsidy.decisions.verifying import verify_document
from subsidy.errors import NotFound, ValidationFailed
from subsidy.extensions import limiter
from subsidy.preconditions import honours_if_match, if_match_header
from subsidy.unit_of_work import keep_changes

blp = Blueprint("documents", __name__, url_prefix="/documents", description="Decision documents")
decisions_blp = Blueprint(
    "decisions", __name__, url_prefix="/applications", description="Decisions on applications"
)


@blp.route("/verify", methods=["POST"])
@public
@limiter.limit("60 per minute")
@blp.arguments(VerifyHashSchema, location="json", required=False)
@blp.arguments(VerifyUploadSchema, location="files")
@blp.response(200, VerificationSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def verify(payload, files):
    """Is this a genuine decision? Send the PDF (multipart field `file`) or `{"sha256": ...}`.
    `valid`: the service issued a document with this PDF or content hash; `signature`: the PAdES
    signature of the file sent (or, for a hash, of the stored file) against the agency's CA."""
    for name in request.form:  # parts that are not files: not ours, as unknown JSON keys
        raise ValidationFailed.field(name or "_form", "unknown field")
    upload = files.get("file") or request.files.get("file")
    if upload is not None:
        pdf = uploaded_pdf(upload)
        return verify_document(hashlib.sha256(pdf).hexdigest(), pdf)
    if not payload or "sha256" not in payload:
        raise ValidationFailed.field("sha256", "send a PDF as `file` or its SHA-256 as `sha256`")
    return verify_document(parse_sha256(payload["sha256"]))


@decisions_blp.route("/<int(max=2147483647):application_id>/approve", methods=["POST"])
@roles(Role.OFFICIAL)
@decisions_blp.arguments(ApproveSchema)
@decisions_blp.response(200, ApplicationSchema)
@honours_if_match(decisions_blp)
def approve(payload, application_id):
    """Approve (a first approval above the program's threshold); 409 `budget_exhausted` when the
    budget does not cover it: the application is then waitlisted, keeping its place. With
    `If-Match` (the `ETag` of `GET /applications/{id}`): 412 if the application changed since."""
    user = api_user()
    application = visible_application(application_id, user)
    approval = services.approve_application(
        application=application, user=user, if_match=if_match_header(), **payload
    )
    if approval.waitlisted:
        keep_changes()  # the waitlisting is logged and kept; the approval did not happen
        raise approval.refusal()
    return application_view(approval.application)


@decisions_blp.route("/<int(max=2147483647):application_id>/reject", methods=["POST"])
@roles(Role.OFFICIAL)
@decisions_blp.arguments(RejectSchema)
@decisions_blp.response(200, ApplicationSchema)
@honours_if_match(decisions_blp)
def reject(payload, application_id):
    """Reject with a reason; `If-Match` as for an approval."""
    user = api_user()
    application = visible_application(application_id, user)
    rejected = services.reject_application(
        application=application, user=user, reason=payload["reason"], if_match=if_match_header()
    )
    return application_view(rejected)


@decisions_blp.route("/<int(max=2147483647):application_id>/decision.pdf", methods=["GET"])
@roles(Role.APPLICANT, Role.OFFICIAL, Role.AUDITOR)
@decisions_blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
def decision_pdf(application_id):
    """The decision document exactly as issued (the same bytes every time)."""
    application = visible_application(application_id, api_user())
    document = latest_document(application.id)
    if document is None:
        raise NotFound("no decision document has been issued for this application")
    return pdf_response(document)


@decisions_blp.route("/<int(max=2147483647):application_id>/decision.tlog-proof", methods=["GET"])
@roles(Role.APPLICANT, Role.OFFICIAL, Role.AUDITOR)
@decisions_blp.response(200, {"type": "string"}, content_type="text/plain")
@decisions_blp.alt_response(409, response="CONFLICT")  # no signed checkpoint covers it yet
def decision_tlog_proof(application_id):
    """A C2SP tlog-proof (c2sp.org/tlog-proof@v1) that the log holds the entry issuing the
    decision document: its inclusion proof against a signed, witnessed checkpoint, the entry's
    bytes as the extra data. 409 until a checkpoint covers the entry."""
    application = visible_application(application_id, api_user())
    document = latest_document(application.id)
    if document is None:
        raise NotFound("no decision document has been issued for this application")
    return tlog_proof_response(document)
