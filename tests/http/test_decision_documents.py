"""Decision PDFs: issued once with the decision, served byte-identical, verifiable by anyone."""

import hashlib
import io
import json
import re

import pytest
import sqlalchemy as sa

from subsidy.audit.models import AuditEntry
from subsidy.extensions import db
from tests.factories import bearer, make_applicant, make_program, make_user, registry, submit


@pytest.fixture
def decided(app, client):
    make_program()
    farm = make_applicant("peasant_farm", name="ШҚ «Әсем Ғалым Қоңыр Өзен Ұлы Үміт Һас Ікс»")
    registry(livestock=[(farm.iin_bin, "cattle", 30, 30)])
    farmer = make_user("applicant", applicant=farm)
    application = submit(farm, quantity="10", user=farmer)
    official = make_user("official")
    db.session.commit()
    response = client.post(
        f"/api/v1/applications/{application.id}/approve", json={}, headers=bearer(official)
    )
    assert response.status_code == 200, response.json
    return {"application": application, "farmer": bearer(farmer), "farm": farm}


def _pdf(client, decided):
    url = f"/api/v1/applications/{decided['application'].id}/decision.pdf"
    return client.get(url, headers=decided["farmer"])


def test_the_decision_pdf_is_the_same_bytes_every_time_and_its_hash_is_logged(client, decided):
    first, second = _pdf(client, decided), _pdf(client, decided)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == second.data and first.data.startswith(b"%PDF-")
    digest = hashlib.sha256(first.data).hexdigest()
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "document_issued")
    ).scalar_one()
    data = json.loads(bytes(entry.canonical))["data"]
    assert data["pdf_sha256"] == digest
    assert decided["farm"].name not in bytes(entry.canonical).decode()


def test_the_pdf_text_carries_the_name_with_kazakh_letters_and_the_amount(client, decided):
    pypdf = pytest.importorskip("pypdf")
    text = "".join(
        page.extract_text()
        for page in pypdf.PdfReader(io.BytesIO(_pdf(client, decided).data)).pages
    )
    squeezed = re.sub(r"\s+", " ", text)
    assert "Әсем Ғалым Қоңыр Өзен Ұлы Үміт Һас Ікс" in squeezed
    assert "10 000,00" in squeezed


def test_verify_by_upload_hash_and_qr_content_hash(client, decided):
    pdf = _pdf(client, decided).data
    upload = client.post(
        "/api/v1/documents/verify",
        data={"file": (io.BytesIO(pdf), "decision.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200, upload.json
    assert upload.json["valid"] is True
    assert upload.json["status"] == "approved"
    assert upload.json["decision_number"].startswith(decided["application"].number)
    by_hash = client.post(
        "/api/v1/documents/verify", json={"sha256": upload.json["content_sha256"]}
    )
    assert by_hash.json["valid"] is True and by_hash.json["matched"] == "content"
    page = client.get(f"/verify?sha256={upload.json['content_sha256']}")
    assert page.status_code == 200 and upload.json["decision_number"] in page.text


def test_a_pdf_with_one_byte_changed_is_not_genuine(client, decided):
    pdf = bytearray(_pdf(client, decided).data)
    pdf[len(pdf) // 2] ^= 0x01
    response = client.post(
        "/api/v1/documents/verify",
        data={"file": (io.BytesIO(bytes(pdf)), "decision.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert response.json["valid"] is False


def _not_a_pdf():
    return {
        "data": {"file": (io.BytesIO(b"hello"), "x.pdf")},
        "content_type": "multipart/form-data",
    }


@pytest.mark.parametrize(
    ("make_kwargs", "field"),
    [
        (lambda: {"json": {"sha256": "xyz"}}, "sha256"),
        (lambda: {"json": {}}, "sha256"),
        (_not_a_pdf, "file"),
    ],
)
def test_bad_verification_requests_are_refused_naming_the_field(client, app, make_kwargs, field):
    response = client.post("/api/v1/documents/verify", **make_kwargs())
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_no_decision_yet_is_404_and_others_cannot_download(client, app):
    make_program()
    farm = make_applicant("peasant_farm")
    registry(livestock=[(farm.iin_bin, "cattle", 30, 30)])
    application = submit(farm, quantity="10")
    db.session.commit()
    official = bearer(make_user("official"))
    url = f"/api/v1/applications/{application.id}/decision.pdf"
    assert client.get(url, headers=official).status_code == 404
    assert client.get(url).status_code == 401
    stranger = bearer(make_user("applicant"))
    assert client.get(url, headers=stranger).status_code == 404


def test_a_rejection_issues_a_document_too(client, app):
    make_program()
    farm = make_applicant("peasant_farm")
    registry(livestock=[(farm.iin_bin, "cattle", 30, 30)])
    application = submit(farm, quantity="10")
    official = bearer(make_user("official"))
    db.session.commit()
    rejected = client.post(
        f"/api/v1/applications/{application.id}/reject",
        json={"reason": "справка не приложена"},
        headers=official,
    )
    assert rejected.status_code == 200
    pdf = client.get(f"/api/v1/applications/{application.id}/decision.pdf", headers=official)
    assert pdf.status_code == 200
    verdict = client.post(
        "/api/v1/documents/verify", json={"sha256": hashlib.sha256(pdf.data).hexdigest()}
    ).json
    assert verdict["valid"] and verdict["outcome"] == "rejected" and verdict["status"] == "rejected"
