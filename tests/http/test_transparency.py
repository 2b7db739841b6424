import csv
import json

import pytest

from subsidy.applicants.disclosure import masked_name
from subsidy.applications.services import withdraw_application
from subsidy.decisions import services as decisions
from subsidy.extensions import db
from subsidy.payments import services as payments
from tests.factories import (
    approved,
    give_account,
    make_applicant,
    make_program,
    make_user,
    registry,
    submit,
    tranche,
)


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


# --- paid amounts in the register, the Auyl Amanaty cooperatives ----------------------------


def _pay(application):
    """Release the application's amount, run it, and have the bank pay it on 20 June 2026."""
    from tests.http.test_public_queue import bank_report

    give_account(application.applicant)
    tranche(application.program, f"{application.approved_amount:.2f}")
    run = payments.prepare_run(program=application.program, user=make_user("treasurer")).run
    payments.release_run(run_id=run.id, user=make_user("treasurer"))
    report = bank_report(run, {application.number: ("ACSC", None)})
    payments.apply_status_report(run_id=run.id, data=report, actor="test")


@pytest.fixture
def paid_register(app):
    make_program()
    person = make_applicant("individual", name="Серікбаев Нұрлан Қайратұлы")
    company = make_applicant("legal_entity", name="ТОО «Шығыс Агро»")
    registry(livestock=[(a.iin_bin, "cattle", 30, 30) for a in (person, company)])
    paid = approved(person, quantity="10")
    unpaid = approved(company, quantity="5")
    _pay(paid)
    db.session.commit()
    return {"paid": paid, "unpaid": unpaid, "person": person}


def test_the_register_api_carries_paid_amounts_and_dates(client, paid_register):
    items = client.get("/api/v1/transparency/decisions").json["items"]
    by_number = {item["application_number"]: item for item in items}
    paid = by_number[paid_register["paid"].number]
    unpaid = by_number[paid_register["unpaid"].number]
    assert (paid["outcome"], paid["paid_amount"], paid["paid_on"]) == (
        "approved",
        "10000.00",
        "2026-06-20",
    )
    assert paid["recovered_amount"] == "0.00"
    assert (unpaid["paid_amount"], unpaid["paid_on"], unpaid["recovered_amount"]) == (
        None,
        None,
        "0.00",
    )
    # A paid application is still an approval: the filter and the totals keep counting it.
    approved_only = client.get("/api/v1/transparency/decisions?outcome=approved").json["items"]
    assert len(approved_only) == 2
    summary = client.get("/api/v1/transparency/summary").json
    assert sum(float(row["amount"]) for row in summary["by_district"]) == 15000.0
    assert [row["approved"] for row in summary["by_program"]] == [2]


def test_the_register_page_shows_paid_amount_and_date(client, paid_register):
    page = client.get("/transparency?lang=en").text
    assert "Paid amount" in page and "Paid on" in page
    paid = next(row for row in page.split("<tr>") if "С. Н. Қ." in row)
    assert paid.count("10,000.00 ₸") == 2 and "Jun 20, 2026" in paid  # approved and paid
    unpaid = next(row for row in page.split("<tr>") if "ТОО «Шығыс Агро»" in row)
    assert "5,000.00 ₸" in unpaid and "Jun 20, 2026" not in unpaid
    assert paid_register["person"].iin_bin not in page
    ru = client.get("/transparency?lang=ru").text
    assert "Выплаченная сумма" in ru and "Дата выплаты" in ru


def test_the_open_data_carries_paid_and_recovered_amounts(client, paid_register):
    lines = client.get("/transparency/decisions.csv").get_data().decode("utf-8-sig").splitlines()
    rows = list(csv.DictReader(lines))
    assert {"paid_amount", "paid_on", "recovered_amount"} <= set(rows[0])
    paid = next(row for row in rows if row["applicant_name"] == "С. Н. Қ.")
    assert (paid["paid_amount"], paid["paid_on"], paid["recovered_amount"]) == (
        "10000.00",
        "2026-06-20",
        "0.00",
    )
    unpaid = next(row for row in rows if row["applicant_name"] != "С. Н. Қ.")
    assert (unpaid["paid_amount"], unpaid["paid_on"]) == ("", "")
    data = json.loads(client.get("/transparency/decisions.json").get_data(as_text=True))
    paid = next(row for row in data if row["applicant_name"] == "С. Н. Қ.")
    assert (paid["paid_amount"], paid["paid_on"], paid["recovered_amount"]) == (
        "10000.00",
        "2026-06-20",
        "0.00",
    )
    assert next(row for row in data if row is not paid)["paid_amount"] is None


def test_the_register_api_equals_its_schema_with_payments(client, paid_register):
    from subsidy.transparency.queries import register_page
    from subsidy.transparency.schemas import RegisterPageSchema

    answer = client.get("/api/v1/transparency/decisions")
    items, next_cursor = register_page()
    assert answer.json == RegisterPageSchema().dump({"items": items, "next": next_cursor})


@pytest.fixture
def cooperatives(app):
    """Four cooperatives: one approved and paid, one that applied, one that withdrew its only
    application, one with none yet; and a farm that is no cooperative."""
    make_program(budget="100000.00")
    members = [make_applicant("individual") for _ in range(5)]
    paid = make_applicant(
        "cooperative", name="СПК «Береке»", members=[m.iin_bin for m in members[:3]]
    )
    applied = make_applicant("cooperative", name="СПК «Алтай»", members=[members[3].iin_bin])
    withdrew = make_applicant("cooperative", name="СПК «Ертіс»", members=[members[4].iin_bin])
    idle = make_applicant("cooperative", name="СПК «Жаңа»")
    farm = make_applicant("peasant_farm")
    registry(livestock=[(a.iin_bin, "cattle", 30, 30) for a in (paid, applied, withdrew, farm)])
    _pay(approved(paid, quantity="12"))
    approved(farm)
    submit(applied, quantity="4")
    gone = submit(withdrew, quantity="3")
    withdraw_application(application=gone, user=make_user("applicant", applicant=withdrew))
    db.session.commit()
    return {"paid": paid, "applied": applied, "withdrew": withdrew, "idle": idle}


def test_the_cooperatives_api_lists_every_cooperative_with_its_money(client, cooperatives):
    answer = client.get("/api/v1/transparency/cooperatives")
    assert answer.status_code == 200
    body = answer.json
    assert body["totals"] == {
        "planned": 31,
        "registered": 4,
        "applied": 2,
        "approved": 1,
        "paid": 1,
        "approved_amount": "12000.00",
        "paid_amount": "12000.00",
    }
    by_bin = {item["bin"]: item for item in body["items"]}
    assert set(by_bin) == {c.iin_bin for c in cooperatives.values()}
    assert by_bin[cooperatives["paid"].iin_bin] == {
        "bin": cooperatives["paid"].iin_bin,
        "name": "СПК «Береке»",
        "district": cooperatives["paid"].district_code,
        "members": 3,
        "applications": 1,
        "approved_amount": "12000.00",
        "paid_amount": "12000.00",
    }
    applied = by_bin[cooperatives["applied"].iin_bin]
    assert (applied["members"], applied["applications"], applied["approved_amount"]) == (
        1,
        1,
        "0.00",
    )
    assert by_bin[cooperatives["withdrew"].iin_bin]["applications"] == 0
    idle = by_bin[cooperatives["idle"].iin_bin]
    assert (idle["members"], idle["applications"], idle["paid_amount"]) == (0, 0, "0.00")


def test_the_register_page_shows_the_auyl_amanaty_progress(client, cooperatives):
    page = client.get("/transparency?lang=en").text
    section = page.split('id="auyl-amanaty"')[1]
    assert "Auyl Amanaty cooperatives" in section
    assert "4 of 31 planned" in section and 'max="31" value="4"' in section
    assert "СПК «Береке»" in section and cooperatives["paid"].iin_bin in section
    assert "12,000.00 ₸" in section
    ru = client.get("/transparency?lang=ru").text
    assert "Кооперативы «Ауыл аманаты»" in ru and "4 из 31 запланированных" in ru
    kk = client.get("/transparency?lang=kk").text
    assert "«Ауыл аманаты» кооперативтері" in kk and "жоспарланған 31 ішінен 4" in kk


def test_no_cooperatives_yet(client, app):
    body = client.get("/api/v1/transparency/cooperatives").json
    assert body["items"] == [] and body["totals"]["registered"] == 0
    assert body["totals"]["planned"] == 31
    page = client.get("/transparency?lang=en").text
    assert "No cooperatives are registered yet." in page and "0 of 31 planned" in page
