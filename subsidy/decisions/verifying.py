"""Is this one of the service's letters? The hash check and the signature check, side by side.

The hash check finds the document by its PDF's SHA-256 (a downloaded file) or its content's (the
QR code's link) and reads what the service recorded; the signature check validates the file's
PAdES signature against the agency's trust roots (subsidy.decisions.pades): an uploaded file's
own, or for a lookup by hash the stored file's. They answer different questions — the first
whether the service issued it, the second whether the agency's certificate signed these bytes —
and both are shown.
"""

from __future__ import annotations

from subsidy.decisions.queries import find_document, verification
from subsidy.decisions.signing import signature_of


def verify_document(sha256: str, uploaded: bytes | None = None) -> dict:
    """:func:`verification` of ``sha256`` with ``signature``: the check of ``uploaded``, else of
    the stored PDF the hash found; None when there is neither."""
    result = verification(sha256)
    pdf = uploaded
    if pdf is None and result["valid"]:
        document = find_document(sha256)
        pdf = document.pdf if document is not None else None
    result["signature"] = None if pdf is None else signature_of(pdf).to_json()
    return result
