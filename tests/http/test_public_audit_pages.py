"""The public pages (start page, register, open data) and the auditor's log pages."""

from __future__ import annotations

import json
import re

import pytest

from subsidy.audit.verify import LogVerifier
from subsidy.decisions import services as decisions
from subsidy.extensions import db
from tests.factories import PASSWORD, make_applicant, make_program, make_user, registry, submit

PERSON = "Серікбаев Нұрлан Қайратұлы"
COMPANY = "ТОО «Шығыс Агро»"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in(client, role: str) -> None:
    user = make_user(role)
    db.session.commit()
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": _csrf(form.text)},
    )
    assert response.status_code == 302


@pytest.fixture
def register(app):
    make_program()
    make_program("TEST-OTHER-2026")
    person = make_applicant("individual", name=PERSON)
    company = make_applicant("legal_entity", name=COMPANY)
    registry(livestock=[(a.iin_bin, "cattle", 30, 30) for a in (person, company)])
    official = make_user("official")
    decisions.approve_application(application=submit(person, quantity="10"), user=official)
    decisions.reject_application(
        application=submit(company, quantity="5"), user=official, reason="нет справки"
    )
    db.session.commit()
    return {"person": person, "company": company}


def test_start_page_shows_open_programs_with_remaining_budget(client, register):
    page = client.get("/?lang=en")
    assert page.status_code == 200
    assert "Program TEST-HEADS-2026" in page.text
    assert "TEST-OTHER-2026" in page.text
    assert "90,000.00 ₸" in page.text  # 100 000 budget, 10 000 committed
    assert "<svg" in page.text


def test_register_page_is_public_with_charts_and_masked_people(client, register):
    page = client.get("/transparency?lang=en")
    assert page.status_code == 200
    assert page.text.count('<svg class="chart"') == 2
    assert "С. Н. Қ." in page.text and COMPANY in page.text
    assert PERSON not in page.text and register["person"].iin_bin not in page.text


def test_register_filters_by_outcome_and_program(client, register):
    approved = client.get("/transparency?outcome=approved&lang=en").text
    assert "С. Н. Қ." in approved and COMPANY not in approved.split("<table")[1]
    other = client.get("/transparency?program=TEST-OTHER-2026&lang=en").text
    assert "No decisions match." in other
    unknown = client.get("/transparency?outcome=maybe&lang=en")
    assert unknown.status_code == 200 and "Unknown value" in unknown.text


@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_downloads_never_name_a_natural_person(client, register, suffix):
    response = client.get(f"/transparency/decisions.{suffix}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert PERSON not in body and register["person"].iin_bin not in body
    assert COMPANY in body and "С. Н. Қ." in body


def test_csv_download_has_a_bom_and_a_header_and_honours_filters(client, register):
    response = client.get("/transparency/decisions.csv?outcome=rejected")
    data = response.get_data()
    assert data.startswith("\ufeff".encode())
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("decision_number,application_number")
    assert len(lines) == 2 and "rejected" in lines[1]


def test_json_download_is_an_array_of_the_register(client, register):
    rows = json.loads(client.get("/transparency/decisions.json").get_data(as_text=True))
    assert {row["outcome"] for row in rows} == {"approved", "rejected"}
    person = next(row for row in rows if row["outcome"] == "approved")
    assert person["applicant_bin"] is None and person["applicant_name"] == "С. Н. Қ."


def test_audit_sends_anonymous_visitors_to_the_login_form(client, app):
    response = client.get("/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["official", "applicant"])
def test_audit_is_forbidden_to_other_roles(client, app, role):
    sign_in(client, role)
    assert client.get("/audit").status_code == 403
    assert client.get("/audit/export.jsonl").status_code == 403


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_audit_shows_the_log_and_the_tree_head(client, register, role):
    sign_in(client, role)
    page = client.get("/audit?lang=en")
    assert page.status_code == 200
    assert "Tree head" in page.text and "application_approved" in page.text
    filtered = client.get("/audit?action=application_rejected&lang=en").text
    assert "application_rejected" in filtered and "application_approved</span>" not in filtered


def test_verify_button_reports_ok_on_a_clean_log(client, register):
    sign_in(client, "auditor")
    page = client.get("/audit")
    response = client.post("/audit/verify?lang=en", data={"csrf_token": _csrf(page.text)})
    assert response.status_code == 200
    result = re.search(r'id="log-verify-result".*?</div>', response.text, re.S).group(0)
    assert "<strong>OK</strong>" in result and "entries checked" in result


def test_verify_without_csrf_token_is_refused(client, register):
    sign_in(client, "auditor")
    assert client.post("/audit/verify", data={}).status_code == 400


def test_export_verifies_with_the_offline_verifier(client, register):
    sign_in(client, "auditor")
    response = client.get("/audit/export.jsonl")
    assert response.status_code == 200
    lines = response.get_data().splitlines(keepends=True)
    verifier = LogVerifier()
    assert verifier.feed_export_lines(lines)
    assert verifier.finish()
    head = client.get("/api/v1/audit/tree-head").json
    assert verifier.size == head["tree_size"] == len(lines)
    assert verifier.root().hex() == head["root_hash"]


def test_inclusion_proof_page_verifies_against_the_root(client, register):
    sign_in(client, "auditor")
    size = client.get("/api/v1/audit/tree-head").json["tree_size"]
    page = client.get(f"/audit/proof?index=3&tree_size={size}&lang=en")
    assert page.status_code == 200
    assert "Verified: the entry is in the tree" in page.text
    assert client.get("/audit/proof?index=3").status_code == 200
    too_far = client.get(f"/audit/proof?index={size}&tree_size={size}")
    assert too_far.status_code == 422


@pytest.mark.parametrize(
    "url",
    ["/transparency?cursor=99999999999999999999", "/transparency?cursor=-9223372036854775809"],
)
def test_out_of_range_cursors_do_not_crash_the_register(client, app, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("start", ["99999999999999999999", "9223372036854775808"])
def test_an_out_of_range_log_start_is_refused_not_crashed(client, app, start):
    sign_in(client, "auditor")
    assert client.get(f"/audit?start={start}").status_code < 500
