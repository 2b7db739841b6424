"""The public /verify page: the QR code on every decision points here."""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from subsidy.access import public
from subsidy.decisions.http import tlog_proof_response, trust_roots_response, uploaded_pdf
from subsidy.decisions.queries import find_document, parse_sha256
from subsidy.decisions.verifying import verify_document
from subsidy.errors import DomainError
from subsidy.extensions import limiter
from subsidy.web.labels import OUTCOME_LABELS as OUTCOMES
from subsidy.web.labels import STATUS_LABELS as STATUSES
from subsidy.web.labels import label
from subsidy.web.messages import refusal_line

bp = Blueprint("verify", __name__)

# Why a signature is not valid (subsidy.decisions.pades.SignatureCheck.problem).
SIGNATURE_PROBLEMS = {
    "unreadable": _l("The file cannot be read as a PDF."),
    "malformed": _l("The signature in the file cannot be read."),
    "changed": _l("The file was changed after it was signed."),
    "mismatch": _l("The signature does not match its certificate."),
    "untrusted": _l("The certificate is not one the agency's certification authority issued."),
    "extended": _l("Something was added to the file after it was signed."),
    "invalid": _l("The signature is not valid."),
}


class VerifyForm(FlaskForm):
    file = FileField("PDF", validators=[FileRequired()])


@bp.route("/verify", methods=["GET", "POST"])
@public
@limiter.limit("60 per minute", methods=["POST"])
def verify_page():
    form = VerifyForm()
    result, error, status = None, None, 200
    try:
        if form.validate_on_submit():
            pdf = uploaded_pdf(form.file.data)
            result = verify_document(hashlib.sha256(pdf).hexdigest(), pdf)
        elif request.method == "POST":
            status = 422  # no file, or not a form this page sent: the page says which
        elif request.args.get("sha256"):
            result = verify_document(parse_sha256(request.args["sha256"]))
    except DomainError as refusal:
        error, status = refusal_line(refusal, form), refusal.status
    return render_template(
        "decisions/verify.html",
        form=form,
        result=result,
        error=error,
        outcomes=OUTCOMES,
        statuses=STATUSES,
        label=label,
        signature_problems=SIGNATURE_PROBLEMS,
    ), status


@bp.route("/verify/document-ca.pem")
@public
def trust_roots():
    """The certificate authority the agency's signatures chain to, to validate them offline."""
    return trust_roots_response()


@bp.route("/verify/<sha256>.tlog-proof")
@public
@limiter.limit("60 per minute")
def tlog_proof(sha256):
    """The tlog-proof of the document with this PDF or content SHA-256 (the log is public)."""
    document = find_document(parse_sha256(sha256))
    if document is None:
        abort(404)
    return tlog_proof_response(document)
