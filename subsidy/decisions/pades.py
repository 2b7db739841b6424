"""PAdES signatures of the service's letters (pyHanko), and the demo certificate authority.

Every decision, appeal decision and recovery notice is signed with the agency's certificate: an
approval signature over the whole file, PAdES baseline B-B (``ETSI.CAdES.detached``, SHA-256,
the signer's certificate chain embedded; no timestamp authority, so no B-T). The signature is an
incremental update: the signed file *begins with* the bytes reportlab rendered, so a rendering of
the same content still reproduces the signed revision exactly.

No Flask here: :mod:`subsidy.decisions.signing` loads the certificate once per app and hands it
in. pyHanko is imported on the first signature or check, not at start (it takes ~0.5 s, which
every ``subsidy`` command would pay). A signature reads the clock (its signing time), so signed
bytes differ between two signings of the same PDF; that is why a document is signed once, when
it is drafted, and stored.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any, Literal, cast

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

__all__ = [
    "DEMO_AGENCY",
    "DocumentSigner",
    "SignatureCheck",
    "check_signature",
    "demo_pkcs12",
    "load_pkcs12",
]

DEMO_AGENCY = "ГУ «Управление сельского хозяйства Восточно-Казахстанской области» (DEMO)"
# cryptography caps a common name at 64 UTF-8 bytes (32 Cyrillic letters): the agency's full
# name is the organisation, the common name a short form of it.
DEMO_AGENCY_SHORT = "Управление СХ ВКО (DEMO)"
DEMO_CA = "Демо УЦ сервиса субсидий (DEMO)"
FIELD = "Signature"
SignatureState = Literal["valid", "invalid", "absent"]

# pyHanko logs every failed validation step at WARNING; /verify reports the outcome instead.
logging.getLogger("pyhanko").setLevel(logging.ERROR)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)


def _name_of(name: x509.Name) -> str:
    """The organisation a name states, else its common name, else the whole name."""
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        values = name.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    return name.rfc4514_string()


class DocumentSigner:
    """The agency's key and certificate (and the chain above it), ready to sign PDFs."""

    def __init__(
        self,
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        certificate: x509.Certificate,
        chain: list[x509.Certificate],
    ) -> None:
        self.key = key
        self.certificate = certificate
        self.chain = chain
        self._prepared: tuple[Any, int] | None = None
        self._preparing = threading.Lock()

    @property
    def trust_roots(self) -> list[x509.Certificate]:
        """What a validator must trust: the chain's certificates, or the signer's own."""
        return list(self.chain) or [self.certificate]

    @property
    def identity(self) -> dict[str, str]:
        """What a letter prints about its signature: the signer, the serial, the issuer."""
        return {
            "name": _name_of(self.certificate.subject),
            "serial": f"{self.certificate.serial_number:X}",
            "issuer": _name_of(self.certificate.issuer),
        }

    def sign(self, pdf: bytes) -> bytes:
        """``pdf`` with an approval signature over all of it, as an incremental update."""
        signer, reserved = self._prepare()
        return _sign(signer, pdf, reserved)

    def _prepare(self) -> tuple[Any, int]:
        """pyHanko's signer, and the room its signature container takes, measured once on a
        bare page (pyHanko would otherwise sign every document twice, once to measure)."""
        with self._preparing:
            if self._prepared is None:
                from pyhanko.pdf_utils.reader import PdfFileReader
                from reportlab.pdfgen.canvas import Canvas

                signer = _pyhanko_signer(self.key, self.certificate, self.chain)
                bare = BytesIO()
                canvas = Canvas(bare, invariant=True)
                canvas.showPage()
                canvas.save()
                signed = _sign(signer, bare.getvalue(), None)
                (signature,) = PdfFileReader(BytesIO(signed)).embedded_signatures
                used = len(signature.pkcs7_content)
                # Room for a longer serial or larger attributes; pyHanko wants an even size.
                room = used + 1024 + used // 4
                self._prepared = signer, room + (-room % 256)
            return self._prepared


def _pyhanko_signer(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    chain: list[x509.Certificate],
) -> Any:
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from pyhanko.sign import signers

    class KeptKeySigner(signers.SimpleSigner):
        """pyHanko's SimpleSigner parses the private key again for every signature (~65 ms
        for an RSA-2048 key, which cryptography checks on loading); this one keeps it parsed."""

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            digest = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384()}.get(digest_algorithm)
            if digest is not None and mechanism == "rsassa_pkcs1v15":
                assert isinstance(key, rsa.RSAPrivateKey)
                return key.sign(data, PKCS1v15(), digest)
            if digest is not None and mechanism == "ecdsa":
                assert isinstance(key, ec.EllipticCurvePrivateKey)
                return key.sign(data, ec.ECDSA(digest))
            return super().sign_raw(data, digest_algorithm)

    bundle = pkcs12.serialize_key_and_certificates(
        None, key, certificate, chain or None, serialization.NoEncryption()
    )
    loaded = signers.SimpleSigner.load_pkcs12_data(bundle, [], None)
    return KeptKeySigner(loaded.signing_cert, loaded.signing_key, loaded.cert_registry)


def _sign(signer: Any, pdf: bytes, reserved: int | None) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    out = _outside_event_loop(
        signers.PdfSigner(meta, signer).sign_pdf, writer, bytes_reserved=reserved
    )
    return cast(bytes, out.getvalue())


def _outside_event_loop(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """pyHanko's synchronous calls run asyncio.run(), which refuses a thread whose event loop
    is running (an asyncio server, Playwright's sync API in the browser tests): there, run them
    in a thread of their own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def load_pkcs12(data: bytes, password: bytes | None) -> DocumentSigner:
    """The signer in a PKCS#12 file; ValueError if it cannot be read or is not usable now."""
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, password)
    except ValueError as error:
        raise ValueError(f"cannot read it (wrong password, or not PKCS#12): {error}") from None
    if certificate is None or key is None:
        raise ValueError("it holds no certificate with its private key")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError("its key must be RSA or ECDSA")
    now = datetime.now(UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise ValueError(
            f"its certificate is valid {certificate.not_valid_before_utc:%Y-%m-%d} to "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}, not now"
        )
    return DocumentSigner(key, certificate, list(chain))


def demo_pkcs12(now: datetime, agency: str = DEMO_AGENCY, bin_number: str | None = None) -> bytes:
    """A demo CA and the agency's certificate issued by it, in one PKCS#12 file (no password):
    the key and certificate, the CA's certificate as its chain. The CA's key is not kept: the
    demo CA issues this one certificate and no other."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    key = ec.generate_private_key(ec.SECP256R1())
    start = now - timedelta(days=1)
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
            x509.NameAttribute(NameOID.COMMON_NAME, DEMO_CA),
        ]
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=20 * 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    subject = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "Өскемен / Усть-Каменогорск"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency),
        x509.NameAttribute(NameOID.COMMON_NAME, DEMO_AGENCY_SHORT),
    ]
    if bin_number:
        # As Kazakhstan's national CA writes a legal entity's BIN into its certificates.
        subject.insert(3, x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"BIN{bin_number}"))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(subject))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=10 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        b"document-signing", key, certificate, [ca], serialization.NoEncryption()
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=not cert_sign,  # non-repudiation: the signer stands by the letter
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


# --- validation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    """A PDF's signature as a validator sees it. ``valid``: intact (the signed bytes unchanged),
    cryptographically sound, by a certificate that chains to a trusted root, and covering the
    whole file (nothing added after signing)."""

    state: SignatureState
    signer: str | None = None  # the organisation (or common name) of the signer's certificate
    subject: str | None = None  # the certificate's subject, RFC 4514
    serial: str | None = None
    signed_at: datetime | None = None
    intact: bool = False
    trusted: bool = False
    whole_file: bool = False
    # Why it is not valid: unreadable (not a PDF pyHanko can read), malformed (a signature it
    # cannot parse), changed (bytes changed after signing), mismatch (the signature does not fit
    # its certificate), untrusted (the certificate does not chain to a trusted root), extended
    # (content added after signing), or invalid (anything else).
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "signer": self.signer,
            "subject": self.subject,
            "serial": self.serial,
            "signed_at": self.signed_at,
            "intact": self.intact,
            "trusted": self.trusted,
            "whole_file": self.whole_file,
            "problem": self.problem,
        }


def check_signature(pdf: bytes, trust_roots: list[x509.Certificate]) -> SignatureCheck:
    """Validate the last signature of ``pdf`` against ``trust_roots``, at the present time
    (as pdfsig and Acrobat do), without fetching revocation data."""
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # any malformed upload: pyHanko raises many kinds
        return SignatureCheck("invalid", problem="unreadable")
    if not signatures:
        return SignatureCheck("absent")
    pem = b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in trust_roots)
    context = ValidationContext(
        trust_roots=list(load_certs_from_pemder_data(pem)), allow_fetching=False
    )
    try:
        status = _outside_event_loop(validate_pdf_signature, signatures[-1], context)
    except (SigningError, ValueError, KeyError, TypeError):
        return SignatureCheck("invalid", problem="malformed")
    certificate = x509.load_der_x509_certificate(status.signing_cert.dump())
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    valid = bool(status.bottom_line) and whole
    problem = None
    if not status.intact:
        problem = "changed"
    elif not status.valid:
        problem = "mismatch"
    elif not status.trusted:
        problem = "untrusted"
    elif not whole:
        problem = "extended"
    elif not status.bottom_line:
        problem = "invalid"
    return SignatureCheck(
        "valid" if valid else "invalid",
        signer=_name_of(certificate.subject),
        subject=certificate.subject.rfc4514_string(),
        serial=f"{certificate.serial_number:X}",
        signed_at=status.signer_reported_dt,
        intact=bool(status.intact),
        trusted=bool(status.trusted),
        whole_file=whole,
        problem=problem,
    )
