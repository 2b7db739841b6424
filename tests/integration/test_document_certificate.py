"""The certificate that signs the letters: SUBSIDY_DOCUMENT_CERT (a PKCS#12 file, opened with
SUBSIDY_DOCUMENT_CERT_PASSWORD), or a demo CA and agency certificate generated once into the
instance folder; a named file that is missing or cannot be opened stops the app at start."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from subsidy.decisions import pades
from subsidy.decisions.signing import DEMO_CA_FILE, DEMO_FILE, document_signer
from tests.conftest import make_app


def _app(tmp_path, **overrides):
    return make_app(f"sqlite:///{tmp_path / 'test.db'}", tmp_path, **overrides)


def _rsa_pkcs12(password: bytes, *, expired: bool = False) -> bytes:
    """An agency certificate as an operator might have it: RSA, self-issued, with a password."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ГУ «Управление СХ» (тест)"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Управление СХ"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=400 if expired else 1))
        .not_valid_after(now + timedelta(days=-35 if expired else 365))
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        b"agency", key, certificate, None, serialization.BestAvailableEncryption(password)
    )


def test_the_demo_certificate_is_generated_once_into_the_instance_and_reused(tmp_path):
    first = _app(tmp_path)
    stored = (tmp_path / DEMO_FILE).read_bytes()
    assert (tmp_path / DEMO_FILE).stat().st_mode & 0o777 == 0o600
    assert (tmp_path / DEMO_CA_FILE).read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    second = _app(tmp_path)
    assert (tmp_path / DEMO_FILE).read_bytes() == stored
    with first.app_context():
        serial = document_signer().identity["serial"]
        assert document_signer().identity["name"] == pades.DEMO_AGENCY
    with second.app_context():
        assert document_signer().identity["serial"] == serial
        signer = document_signer()
        # The CA beside it is the one the certificate chains to, and what /verify trusts.
        ca = x509.load_pem_x509_certificate((tmp_path / DEMO_CA_FILE).read_bytes())
        assert signer.trust_roots == [ca]
        assert signer.certificate.issuer == ca.subject
        assert "OU=BIN010340010009" in signer.certificate.subject.rfc4514_string()


def test_a_named_pkcs12_with_its_password_signs_the_letters(tmp_path):
    path = tmp_path / "agency.p12"
    path.write_bytes(_rsa_pkcs12(b"s3cret-pass"))
    app = _app(tmp_path, DOCUMENT_CERT_PATH=str(path), DOCUMENT_CERT_PASSWORD="s3cret-pass")
    assert not (tmp_path / DEMO_FILE).exists()  # no demo certificate beside a named one
    with app.app_context():
        signer = document_signer()
        assert signer.identity["name"] == "ГУ «Управление СХ» (тест)"
        signed = signer.sign(_bare_pdf())
        check = pades.check_signature(signed, signer.trust_roots)
        assert check.state == "valid" and check.signer == "ГУ «Управление СХ» (тест)"


def _bare_pdf() -> bytes:
    from subsidy.decisions.pdf import render_bare_page

    return render_bare_page("тест")


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda tmp: {"DOCUMENT_CERT_PATH": str(tmp / "missing.p12")}, "no PKCS#12 file at"),
        (
            lambda tmp: {
                "DOCUMENT_CERT_PATH": str(_write(tmp / "a.p12", _rsa_pkcs12(b"right"))),
                "DOCUMENT_CERT_PASSWORD": "wrong",
            },
            "wrong password",
        ),
        (
            lambda tmp: {"DOCUMENT_CERT_PATH": str(_write(tmp / "a.p12", b"not a pkcs12 file"))},
            "not PKCS#12",
        ),
        (
            lambda tmp: {
                "DOCUMENT_CERT_PATH": str(_write(tmp / "a.p12", _rsa_pkcs12(b"pw", expired=True))),
                "DOCUMENT_CERT_PASSWORD": "pw",
            },
            "not now",
        ),
    ],
)
def test_a_named_certificate_that_cannot_sign_stops_the_app_at_start(tmp_path, setup, message):
    with pytest.raises((FileNotFoundError, ValueError), match="SUBSIDY_DOCUMENT_CERT") as error:
        _app(tmp_path, **setup(tmp_path))
    assert message in str(error.value)
    assert not (tmp_path / DEMO_FILE).exists()


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_signing_and_checking_work_inside_a_running_event_loop(tmp_path):
    """pyHanko's synchronous API calls asyncio.run(): an async caller (Playwright's sync API
    in the browser tests runs a loop in the same thread) must still get its letters signed."""
    import asyncio

    signer = pades.load_pkcs12(pades.demo_pkcs12(datetime.now(UTC)), None)

    async def inside():
        signed = signer.sign(_bare_pdf())
        return pades.check_signature(signed, signer.trust_roots)

    # In a thread of its own: the suite's main thread may already run Playwright's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, inside()).result().state == "valid"
