"""The agency's document-signing certificate, loaded once per app (see subsidy.decisions.pades).

``SUBSIDY_DOCUMENT_CERT`` names a PKCS#12 file (``SUBSIDY_DOCUMENT_CERT_PASSWORD`` opens it); a
named file that is missing or unreadable stops the service at start. Unset, a demo CA and an
agency certificate issued by it are generated once into the instance folder
(``document_cert.p12``, the CA's certificate beside it as ``document_ca.pem``) and reused.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from flask import Flask, current_app

from subsidy.config import write_once
from subsidy.db import utcnow
from subsidy.decisions.pades import DocumentSigner, SignatureCheck, check_signature, demo_pkcs12
from subsidy.decisions.pades import load_pkcs12 as _load_pkcs12

DEMO_FILE = "document_cert.p12"
DEMO_CA_FILE = "document_ca.pem"
EXTENSION = "subsidy.document_signer"


def load_document_signer(
    path: Path, password: str | None, *, create: bool, bin_number: str | None = None
) -> DocumentSigner:
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"SUBSIDY_DOCUMENT_CERT: no PKCS#12 file at {path}")
        # One file for the key, the certificate and the CA: two workers starting at once
        # cannot pair one's certificate with the other's CA (write_once keeps the first).
        write_once(path, demo_pkcs12(utcnow(), bin_number=bin_number))
    secret = password.encode("utf-8") if password else None
    try:
        return _load_pkcs12(path.read_bytes(), secret)
    except ValueError as error:
        raise ValueError(f"SUBSIDY_DOCUMENT_CERT {path}: {error}") from None


def init_document_signer(app: Flask) -> None:
    named = app.config.get("DOCUMENT_CERT_PATH")
    path = Path(named) if named else Path(app.instance_path) / DEMO_FILE
    signer = load_document_signer(
        path,
        app.config.get("DOCUMENT_CERT_PASSWORD") if named else None,
        create=not named,
        bin_number=app.config.get("PAYER_BIN"),
    )
    if not named:
        write_once(path.with_name(DEMO_CA_FILE), trust_roots_pem(signer))
    app.extensions[EXTENSION] = signer


def document_signer() -> DocumentSigner:
    return current_app.extensions[EXTENSION]


def sign(pdf: bytes) -> bytes:
    """``pdf`` signed by the agency (PAdES B-B). CPU work of ~25 ms: not under the log lock."""
    return document_signer().sign(pdf)


def signer_identity() -> dict[str, str]:
    """The signer, certificate serial and issuer that a letter prints."""
    return document_signer().identity


def signature_of(pdf: bytes) -> SignatureCheck:
    """The signature of ``pdf`` checked against the agency's trust roots."""
    return check_signature(pdf, document_signer().trust_roots)


def trust_roots_pem(signer: DocumentSigner | None = None) -> bytes:
    """The certificates a validator of the service's letters trusts, PEM."""
    signer = signer or document_signer()
    return b"".join(
        certificate.public_bytes(serialization.Encoding.PEM) for certificate in signer.trust_roots
    )
