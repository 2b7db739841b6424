"""The recovery pages through the client: the list for enforcement (overdue highlighted and
filtered), one case with its arithmetic and notice, a treasurer recording repayments until the
case is repaid, the farmer appealing the notice, refusals that write nothing, CSRF on every POST,
and ru, kk and en."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from subsidy.appeals.models import Appeal
from subsidy.extensions import db
from subsidy.obligations.models import Repayment
from tests.factories import PASSWORD, make_applicant, make_user
from tests.http._obligations import recovery_case

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]*)"')


def _csrf(html: str) -> str:
    return CSRF.search(html).group(1)


def _login(client, user) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": _csrf(page.text)},
    )
    assert response.status_code == 302


def _logout(client) -> None:
    client.post("/logout", data={"csrf_token": _csrf(client.get("/").text)})


def _post(client, path: str, page: str, headers=None, **data):
    token = _csrf(client.get(page).text)
    return client.post(path, data={"csrf_token": token, **data}, headers=headers or {})


def _repayments():
    return list(db.session.execute(sa.select(Repayment)).scalars())


@pytest.fixture
def world(app):
    farm = make_applicant("peasant_farm")
    application, case = recovery_case(farm)  # 4 000 paid for 4 cows, 2 gone: 2 000 to repay
    return {
        "application": application,
        "case": case,
        "page": f"/recoveries/{case['id']}",
        "farmer": make_user("applicant", applicant=farm),
        "stranger": make_user("applicant", applicant=make_applicant()),
        "treasurer": make_user("treasurer"),
        "official": make_user("official"),
        "auditor": make_user("auditor"),
    }


def test_the_case_shows_its_arithmetic_and_notice(client, world):
    _login(client, world["official"])
    page = client.get(world["page"])
    assert page.status_code == 200
    for animal in world["case"]["animals"]:
        assert animal in page.text
    assert re.search(r'id="claimed">4<', page.text)
    assert "4,000.00" in page.text and "2,000.00" in page.text
    assert 'id="notice-pdf"' in page.text and 'id="repayment-form"' not in page.text
    assert 'id="history"' in page.text
    pdf = client.get(f"{world['page']}/notice.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["X-Content-SHA256"] == world["case"]["notice"]["pdf_sha256"]


def test_the_list_highlights_and_filters_the_overdue(app, client, world):
    _login(client, world["treasurer"])
    listed = client.get("/recoveries")
    assert listed.status_code == 200 and world["application"].number in listed.text
    assert "is-overdue" not in listed.text
    assert f'data-case="{world["case"]["id"]}"' not in client.get("/recoveries?status=overdue").text
    app.config["TODAY"] = "2026-07-16"
    try:
        late = client.get("/recoveries?status=overdue")
    finally:
        app.config["TODAY"] = "2026-06-15"
    assert f'data-case="{world["case"]["id"]}"' in late.text and "is-overdue" in late.text
    # A treasurer may not open the application page: the number is not a link to a refusal.
    assert f'href="/applications/{world["application"].id}"' not in listed.text


def _carried(html: str) -> dict[str, str]:
    form = html[html.index('id="confirm-form"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input [^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))


def _repay(client, world, **data):
    """The repayment form, then its confirmation: (what the form's POST answered, what the
    confirmation's POST answered)."""
    url = f"{world['page']}/repayments"
    asked = _post(client, url, world["page"], **data)
    assert asked.status_code == 200, asked.text
    return asked, client.post(url, data=_carried(asked.text))


def test_a_repayment_asks_first_and_records_nothing_until_confirmed(client, world):
    _login(client, world["treasurer"])
    url = f"{world['page']}/repayments"
    asked = _post(
        client,
        url,
        world["page"],
        headers={"Accept-Language": "ru"},
        amount="500",
        paid_on="2026-06-10",
    )
    assert asked.status_code == 200 and 'id="confirm"' in asked.text
    assert "Зарегистрировать возврат 500,00 ₸" in asked.text and "1\u00a0500,00 ₸" in asked.text
    assert 'id="repayment-form"' not in asked.text
    assert _repayments() == []
    carried = _carried(asked.text)
    assert carried["confirmed"] == "1" and carried["amount"] == "500"


def test_a_treasurer_records_repayments_until_the_case_is_repaid(client, world):
    _login(client, world["treasurer"])
    page = client.get(world["page"])
    assert 'id="repayment-form"' in page.text
    _, first = _repay(client, world, amount="500,00", paid_on="2026-06-10")
    assert first.status_code == 302, first.text
    shown = client.get(first.headers["Location"])
    assert "Repayment of" in shown.text and "1,500.00" in shown.text
    _, rest = _repay(client, world, amount="1 500", paid_on="2026-06-15")
    assert rest.status_code == 302
    done = client.get(world["page"])
    assert "repaid" in done.text and 'id="repayment-form"' not in done.text
    assert [r.amount for r in _repayments()] == [Decimal("500.00"), Decimal("1500.00")]


def test_more_than_is_owed_is_refused_translated_and_writes_nothing(client, world):
    _login(client, world["treasurer"])
    url = f"{world['page']}/repayments"
    too_much = _post(
        client,
        url,
        world["page"],
        headers={"Accept-Language": "ru"},
        amount="2000.01",
        paid_on="2026-06-10",
    )
    assert too_much.status_code == 409
    assert "Это больше, чем осталось вернуть" in too_much.text
    assert _repayments() == []


@pytest.mark.parametrize(
    ("amount", "paid_on", "field"),
    [
        ("abc", "2026-06-10", "amount"),
        ("0", "2026-06-10", "amount"),
        ("1.001", "2026-06-10", "amount"),
        ("10", "2026-06-16", "paid_on"),
        ("10", "yesterday", "paid_on"),
    ],
)
def test_a_bad_field_is_refused_beside_it(client, world, amount, paid_on, field):
    _login(client, world["treasurer"])
    response = _post(
        client, f"{world['page']}/repayments", world["page"], amount=amount, paid_on=paid_on
    )
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert _repayments() == []


def test_only_treasurers_record_repayments(client, world):
    _login(client, world["official"])
    response = _post(
        client, f"{world['page']}/repayments", world["page"], amount="1", paid_on="2026-06-10"
    )
    assert response.status_code == 403
    assert _repayments() == []


def test_the_farmer_appeals_the_notice_from_the_case_page(client, world):
    _login(client, world["farmer"])
    page = client.get(world["page"])
    assert page.status_code == 200 and 'id="appeal-form"' in page.text
    assert "You may appeal until" in page.text
    assert 'id="repayment-form"' not in page.text and 'id="history"' not in page.text
    response = _post(
        client,
        f"{world['page']}/appeals",
        world["page"],
        reason="The cows were stolen; the police report is attached.",
    )
    assert response.status_code == 302, response.text
    shown = client.get(response.headers["Location"])
    assert "Appeal filed" in shown.text and 'id="appeal-open"' in shown.text
    [appeal] = db.session.execute(sa.select(Appeal)).scalars()
    assert appeal.recovery_id == world["case"]["id"]
    again = _post(client, f"{world['page']}/appeals", world["page"], reason="again")
    assert again.status_code == 409 and "already open" in again.text
    # The application page lists its recovery case.
    application_page = client.get(f"/applications/{world['application'].id}")
    assert f'href="/recoveries/{world["case"]["id"]}"' in application_page.text


def test_another_applicant_sees_nothing(client, world):
    _login(client, world["stranger"])
    listed = client.get("/recoveries")
    assert listed.status_code == 200 and 'id="no-recoveries"' in listed.text
    assert client.get(world["page"]).status_code == 404
    assert client.get(f"{world['page']}/notice.pdf").status_code == 404
    response = _post(client, f"{world['page']}/appeals", "/recoveries", reason="x")
    assert response.status_code == 404


def test_every_post_needs_its_csrf_token(client, world):
    _login(client, world["treasurer"])
    repay = client.post(
        f"{world['page']}/repayments", data={"amount": "1", "paid_on": "2026-06-10"}
    )
    assert repay.status_code in (400, 422)
    _logout(client)
    _login(client, world["farmer"])
    appeal = client.post(f"{world['page']}/appeals", data={"reason": "x"})
    assert appeal.status_code in (400, 422)
    assert _repayments() == []
    assert list(db.session.execute(sa.select(Appeal)).scalars()) == []


@pytest.mark.parametrize(
    ("language", "title", "status"),
    [
        ("ru", "Возвраты субсидий", "к возврату"),
        ("kk", "Субсидияларды қайтару", "қайтарылуға тиіс"),
        ("en", "Recoveries", "to be repaid"),
    ],
)
def test_the_pages_render_in_every_language(client, world, language, title, status):
    headers = {"Accept-Language": language}
    for user in (world["auditor"], world["farmer"]):
        _login(client, user)
        listed = client.get("/recoveries", headers=headers)
        assert listed.status_code == 200 and f"<h1>{title}</h1>" in listed.text
        assert status in listed.text
        assert client.get(world["page"], headers=headers).status_code == 200
        _logout(client)
