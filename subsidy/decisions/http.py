"""Decision PDFs in and out over HTTP, the same for the JSON API and the pages."""

from __future__ import annotations

from flask import Response

from subsidy.errors import DomainError, ValidationFailed

MAX_UPLOAD = 5 * 1024 * 1024


class TooLarge(DomainError):
    status = 413
    code = "too_large"


def uploaded_pdf(storage) -> bytes:
    """An uploaded file's bytes, refusing anything over the limit or not a PDF."""
    data = storage.stream.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise TooLarge(
            f"file: larger than {MAX_UPLOAD // (1024 * 1024)} MB", {"file": ["too large"]}
        )
    if not data.startswith(b"%PDF-"):
        raise ValidationFailed.field("file", "is not a PDF document")
    return data


def pdf_response(document) -> Response:
    """A decision document's PDF as issued, for the API and the pages."""
    response = Response(document.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
    response.headers["X-Content-SHA256"] = document.pdf_sha256
    return response


def trust_roots_response() -> Response:
    """The certificates the agency's signatures chain to, PEM: what ``pdfsig -nssdir`` or
    pyHanko's ``--trust`` needs to call a letter's signature trusted."""
    from subsidy.decisions.signing import trust_roots_pem

    response = Response(trust_roots_pem(), mimetype="application/x-pem-file")
    response.headers["Content-Disposition"] = 'attachment; filename="document-ca.pem"'
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def tlog_proof_response(document) -> Response:
    """The c2sp.org/tlog-proof that the log holds the entry issuing ``document`` (its PDF's and
    content's SHA-256), to check offline with the log's verifier key."""
    from subsidy.audit.queries import tlog_proof

    response = Response(tlog_proof(document.issued_log_index), mimetype="text/plain")
    response.headers["Content-Disposition"] = f'attachment; filename="{document.number}.tlog-proof"'
    response.headers["Cache-Control"] = "no-store"  # a later proof may carry more cosignatures
    return response
