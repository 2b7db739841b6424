import pytest

from subsidy.decisions import services as decisions
from subsidy.extensions import db
from subsidy.transparency.queries import masked_name
from tests.factories import make_applicant, make_program, make_user, registry, submit


@pytest.fixture
def register(app):
    make_program()
    person = make_applicant("individual", name="Серікбаев Нұрлан Қайратұлы")
    company = make_applicant("legal_entity", name="ТОО «Шығыс Агро»")
    registry(livestock=[(a.iin_bin, "cattle", 30, 30) for a in (person, company)])
    official = make_user("official")
    first = submit(person, quantity="10")
    second = submit(company, quantity="5")
    decisions.approve_application(application=first, user=official)
    decisions.reject_application(application=second, user=official, reason="нет справки")
    db.session.commit()
    return {"person": person, "company": company}


def test_the_register_masks_natural_persons_and_shows_companies(client, register):
    page = client.get("/api/v1/transparency/decisions").json
    assert len(page["items"]) == 2
    by_outcome = {item["outcome"]: item for item in page["items"]}
    person = by_outcome["approved"]["applicant"]
    assert person == {"kind": "individual", "name": "С. Н. Қ.", "iin_bin": None, "masked": True}
    assert by_outcome["approved"]["approved_amount"] == "10000.00"
    company = by_outcome["rejected"]["applicant"]
    assert (
        company["name"] == "ТОО «Шығыс Агро»" and company["iin_bin"] == register["company"].iin_bin
    )
    raw = client.get("/api/v1/transparency/decisions").get_data(as_text=True)
    assert register["person"].iin_bin not in raw and "Серікбаев" not in raw


def test_filters_pagination_and_summary(client, register):
    approved = client.get("/api/v1/transparency/decisions?outcome=approved").json["items"]
    assert [item["outcome"] for item in approved] == ["approved"]
    first = client.get("/api/v1/transparency/decisions?limit=1").json
    second = client.get(f"/api/v1/transparency/decisions?limit=1&cursor={first['next']}").json
    assert first["items"][0]["decision_number"] != second["items"][0]["decision_number"]
    summary = client.get("/api/v1/transparency/summary").json
    total = sum(float(row["amount"]) for row in summary["by_district"])
    assert total == 10000.0
    assert client.get("/api/v1/transparency/decisions?outcome=maybe").status_code == 422


def test_masked_name_keeps_initials_only():
    assert masked_name("Иванова Ольга Петровна") == "И. О. П."
    assert masked_name("КХ «Бақыт»") == "К. Б."
