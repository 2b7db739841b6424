"""The public /verify page: the QR code on every decision points here."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from subsidy.access import public
from subsidy.decisions.http import tlog_proof_response, uploaded_sha256
from subsidy.decisions.queries import find_document, parse_sha256, verification
from subsidy.errors import DomainError
from subsidy.extensions import limiter
from subsidy.web.labels import OUTCOME_LABELS as OUTCOMES
from subsidy.web.labels import STATUS_LABELS as STATUSES
from subsidy.web.labels import label

bp = Blueprint("verify", __name__)


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
            result = verification(uploaded_sha256(form.file.data))
        elif request.method == "GET" and request.args.get("sha256"):
            result = verification(parse_sha256(request.args["sha256"]))
    except DomainError as refusal:
        error, status = refusal.one_line(), refusal.status
    return render_template(
        "decisions/verify.html",
        form=form,
        result=result,
        error=error,
        outcomes=OUTCOMES,
        statuses=STATUSES,
        label=label,
    ), status


@bp.route("/verify/<sha256>.tlog-proof")
@public
@limiter.limit("60 per minute")
def tlog_proof(sha256):
    """The tlog-proof of the document with this PDF or content SHA-256 (the log is public)."""
    document = find_document(parse_sha256(sha256))
    if document is None:
        abort(404)
    return tlog_proof_response(document)
