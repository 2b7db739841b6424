"""Every letter the service issues is signed (PAdES B-B) with the agency's certificate, and two
independent validators say so: poppler's ``pdfsig`` (NSS) and pyHanko's. /verify reports the
signer and the signature's state beside the hash check.

``pdfsig`` comes with poppler-utils and ``certutil`` (the NSS database that makes pdfsig trust
the demo CA) with libnss3-tools; CI installs both (.ci/run) and sets SUBSIDY_TEST_REQUIRE_TOOLS,
so that a missing tool fails instead of skipping."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from subsidy.audit.models import AuditEntry
from subsidy.decisions.pdf import render_bare_page
from subsidy.decisions.signing import DEMO_CA_FILE
from subsidy.extensions import db
from tests.factories import bearer, make_applicant, make_program, make_user, registry, submit

PDFSIG, CERTUTIL = shutil.which("pdfsig"), shutil.which("certutil")
if os.environ.get("SUBSIDY_TEST_REQUIRE_TOOLS") and not (PDFSIG and CERTUTIL):
    raise RuntimeError("SUBSIDY_TEST_REQUIRE_TOOLS is set but pdfsig or certutil is missing")
needs_pdfsig = pytest.mark.skipif(
    not (PDFSIG and CERTUTIL), reason="poppler-utils (pdfsig) or libnss3-tools not installed"
)
AGENCY = "ГУ «Управление сельского хозяйства Восточно-Казахстанской области» (DEMO)"


@pytest.fixture
def decided(app, client):
    make_program()
    farm = make_applicant("peasant_farm", name="ШҚ «Бәйтерек»")
    registry(livestock=[(farm.iin_bin, "cattle", 30, 30)])
    farmer = make_user("applicant", applicant=farm)
    application = submit(farm, quantity="10", user=farmer)
    official = make_user(
        full_name="Серикова Айгерим Болатовна",
        position="Субсидиялау бөлімінің бас маманы / Главный специалист отдела субсидирования",
    )
    db.session.commit()
    approved = client.post(
        f"/api/v1/applications/{application.id}/approve", json={}, headers=bearer(official)
    )
    assert approved.status_code == 200, approved.json
    pdf = client.get(
        f"/api/v1/applications/{application.id}/decision.pdf", headers=bearer(farmer)
    ).data
    return {"application": application, "pdf": pdf}


def _ca_path(app) -> Path:
    return Path(app.instance_path) / DEMO_CA_FILE


def _pdfsig(pdf: bytes, tmp_path: Path, nssdir: Path | None = None) -> str:
    path = tmp_path / "decision.pdf"
    path.write_bytes(pdf)
    command = [PDFSIG, *(["-nssdir", f"sql:{nssdir}"] if nssdir else []), str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout


def _nss_trusting(ca: Path, tmp_path: Path) -> Path:
    """An NSS database that trusts ``ca`` for signatures, as an operator would set one up."""
    nssdir = tmp_path / "nss"
    nssdir.mkdir()
    subprocess.run([CERTUTIL, "-N", "-d", f"sql:{nssdir}", "--empty-password"], check=True)
    subprocess.run(
        [CERTUTIL, "-A", "-d", f"sql:{nssdir}", "-n", "demo-ca", "-t", "C,C,C", "-i", str(ca)],
        check=True,
    )
    return nssdir


@needs_pdfsig
def test_pdfsig_reports_the_decision_signed_by_the_agency_and_trusted_with_its_ca(
    app, decided, tmp_path
):
    plain = _pdfsig(decided["pdf"], tmp_path)
    assert "Signature Validation: Signature is Valid." in plain, plain
    assert "Signer Certificate Common Name: Управление СХ ВКО (DEMO)" in plain
    assert "O=ГУ «Управление сельского хозяйства" in plain
    assert "Signature Type: ETSI.CAdES.detached" in plain  # PAdES
    assert "Total document signed" in plain
    assert "Certificate issuer isn't Trusted." in plain  # not until told of the demo CA
    trusted = _pdfsig(decided["pdf"], tmp_path, _nss_trusting(_ca_path(app), tmp_path))
    assert "Signature Validation: Signature is Valid." in trusted
    assert "Certificate Validation: Certificate is Trusted." in trusted, trusted


def test_pyhankos_validator_reports_it_intact_and_trusted_with_the_ca_over_the_whole_file(
    app, decided
):
    roots = list(load_certs_from_pemder([str(_ca_path(app))]))
    (signature,) = PdfFileReader(io.BytesIO(decided["pdf"])).embedded_signatures
    status = _validate(signature, ValidationContext(trust_roots=roots))
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.subject.native["organization_name"] == AGENCY
    untrusting = _validate(signature, ValidationContext(trust_roots=[]))
    assert untrusting.intact and not untrusting.trusted


def _validate(signature, context):
    """pyHanko's validator, in a thread of its own: it calls asyncio.run(), and the suite's main
    thread may run Playwright's event loop (the browser tests' session)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(validate_pdf_signature, signature, context).result()


def test_the_stored_and_logged_hash_is_the_signed_files_and_the_rendering_its_first_part(
    app, decided
):
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "document_issued")
    ).scalar_one()
    data = json.loads(bytes(entry.canonical))["data"]
    assert data["pdf_sha256"] == hashlib.sha256(decided["pdf"]).hexdigest()
    # An incremental update: the signature comes after an ordinary end of file.
    first_eof = decided["pdf"].index(b"%%EOF")
    assert decided["pdf"].count(b"%%EOF") == 2 and first_eof < len(decided["pdf"]) - 1000


def test_verify_by_hash_reports_the_stored_files_signature(client, decided):
    sha256 = hashlib.sha256(decided["pdf"]).hexdigest()
    result = client.post("/api/v1/documents/verify", json={"sha256": sha256}).json
    assert result["valid"] is True
    signature = result["signature"]
    assert signature["state"] == "valid" and signature["problem"] is None
    assert signature["signer"] == AGENCY
    assert "CN=Управление СХ ВКО (DEMO)" in signature["subject"]
    assert signature["intact"] and signature["trusted"] and signature["whole_file"]
    unknown = client.post("/api/v1/documents/verify", json={"sha256": "0" * 64}).json
    assert unknown == {"valid": False, "sha256": "0" * 64, "signature": None}


def _upload(client, pdf: bytes, url: str = "/api/v1/documents/verify"):
    return client.post(
        url, data={"file": (io.BytesIO(pdf), "decision.pdf")}, content_type="multipart/form-data"
    )


def test_verify_by_upload_checks_the_uploaded_files_signature(client, decided):
    genuine = _upload(client, decided["pdf"]).json
    assert genuine["valid"] is True and genuine["signature"]["state"] == "valid"
    changed = bytearray(decided["pdf"])
    changed[len(changed) // 3] ^= 0x01  # inside the signed rendering
    tampered = _upload(client, bytes(changed)).json
    assert tampered["valid"] is False
    assert tampered["signature"]["state"] == "invalid"
    assert tampered["signature"]["problem"] in ("changed", "unreadable")
    extended = _upload(client, decided["pdf"] + b"\n% appended after signing\n").json
    assert extended["valid"] is False
    assert extended["signature"]["state"] == "invalid"
    assert extended["signature"]["problem"] == "extended"
    unsigned = _upload(client, render_bare_page("не подписано")).json
    assert unsigned["valid"] is False and unsigned["signature"]["state"] == "absent"


def test_the_verify_page_shows_the_signer_and_the_state_next_to_the_hash_check(client, decided):
    sha256 = hashlib.sha256(decided["pdf"]).hexdigest()
    page = client.get(f"/verify?sha256={sha256}&lang=ru").text
    assert 'id="verify-result"' in page
    assert 'id="signature-result" data-state="valid"' in page
    assert AGENCY in page
    changed = bytearray(decided["pdf"])
    changed[len(changed) // 3] ^= 0x01
    form = client.get("/verify").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', form).group(1)
    response = client.post(
        "/verify",
        data={"csrf_token": token, "file": (io.BytesIO(bytes(changed)), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert 'data-state="invalid"' in response.text and 'id="signature-problem"' in response.text


def test_the_agencys_ca_is_published_for_offline_validation(app, client):
    response = client.get("/verify/document-ca.pem")
    assert response.status_code == 200
    assert response.data == _ca_path(app).read_bytes()
    assert response.data.startswith(b"-----BEGIN CERTIFICATE-----")
