"""/verify names what a bank matches a paper copy by (the applicant as the register shows it and
the amount), which hash matched, both log entries and a working inclusion proof; pressing
Verify without a file says what to do."""

import re

import pytest

from subsidy.decisions.queries import latest_document
from tests.factories import approved, make_applicant, make_program, registry


@pytest.fixture
def decided(app):
    make_program("TEST-HEADS-2026", budget="100000.00", threshold="50000.00")
    person = make_applicant("individual", name="Серікбаев Нұрлан Қайратұлы")
    company = make_applicant("legal_entity", name="ТОО «Шығыс Агро»")
    registry(
        livestock=[(a.iin_bin, "cattle", 80, 80) for a in (person, company)],
        tax=[(a.iin_bin, "0") for a in (person, company)],
    )
    return {
        "person": latest_document(approved(person, quantity="10").id),
        "company": latest_document(approved(company, quantity="5").id),
        "person_iin": person.iin_bin,
    }


def test_verify_shows_the_applicant_as_the_register_does_and_the_amount(client, decided):
    person = client.get(f"/verify?sha256={decided['person'].pdf_sha256}&lang=ru").text
    assert "С. Н. Қ." in person and decided["person_iin"] not in person
    assert "10\u00a0000,00 ₸" in person and "Одобренная сумма" in person
    company = client.get(f"/verify?sha256={decided['company'].content_sha256}&lang=en").text
    assert "ТОО «Шығыс Агро»" in company and "5,000.00 ₸" in company


def test_verify_says_which_hash_matched_and_shows_both(client, decided):
    document = decided["person"]
    by_qr = client.get(f"/verify?sha256={document.content_sha256}&lang=en").text
    assert 'data-matched="content"' in by_qr
    assert document.content_sha256 in by_qr and document.pdf_sha256 in by_qr
    by_file = client.get(f"/verify?sha256={document.pdf_sha256}&lang=en").text
    assert 'data-matched="file"' in by_file


def test_verify_labels_both_log_entries_and_links_a_proof_that_answers(client, decided):
    document = decided["person"]
    page = client.get(f"/verify?sha256={document.pdf_sha256}&lang=en").text
    assert f'id="decision-log-index">#{document.decision_log_index}<' in page
    assert f">#{document.issued_log_index}</a>" in page
    link = re.search(r'id="inclusion-proof" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "tree_size=" in link
    proof = client.get(link)
    assert proof.status_code == 200 and proof.get_json()["index"] == document.issued_log_index


def test_the_api_reports_the_same_facts(client, decided):
    document = decided["company"]
    body = client.post("/api/v1/documents/verify", json={"sha256": document.pdf_sha256}).get_json()
    assert body["applicant"]["name"] == "ТОО «Шығыс Агро»" and body["amount"] == "5000.00"
    assert body["amount_kind"] == "approved"
    assert body["decision_log_index"] == document.decision_log_index


def test_verify_without_a_file_says_what_to_do(client):
    page = client.get("/verify?lang=ru")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = client.post("/verify?lang=ru", data={"csrf_token": token})
    assert response.status_code == 422
    assert 'id="file-missing"' in response.text
    assert "Сначала выберите PDF-файл решения" in response.text
